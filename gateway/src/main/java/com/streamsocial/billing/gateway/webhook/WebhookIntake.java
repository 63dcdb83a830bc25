package com.streamsocial.billing.gateway.webhook;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.kafka.TransactionalPublisher;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Takes a verified event exactly once: in one PostgreSQL transaction, the event's row is inserted
 * (unique per provider and event id) and, only if it is new, the event is published in its own Kafka
 * transaction; the PostgreSQL transaction commits after the Kafka commit, and the caller answers
 * {@code 2xx} after both. A failed publish rolls the row back, so the provider's retry publishes it
 * then. A concurrent delivery of the same event waits on the row's uniqueness until the first one's
 * transaction ends, then finds it (a duplicate) or takes it (the first one failed).
 */
public final class WebhookIntake {
    /** What became of a verified event. */
    public enum Taken {
        /** New: published, row committed. */
        ACCEPTED,
        /** Taken before, with the same body: nothing done. */
        DUPLICATE,
        /** Taken before under this id with another body: nothing done, counted apart. */
        DUPLICATE_BODY_DIFFERS
    }

    /** Record headers of {@link Topics#WEBHOOKS}; the value is the provider's body, unchanged. */
    public static final String HEADER_PROVIDER = "webhook.provider";

    public static final String HEADER_EVENT_ID = "webhook.event_id";
    public static final String HEADER_EVENT_TYPE = "webhook.event_type";
    public static final String HEADER_OBJECT_ID = "webhook.object_id";
    public static final String HEADER_PAYMENT_ID = "webhook.payment_id";
    public static final String HEADER_RECEIVED_AT_MS = "webhook.received_at_ms";

    private static final String INSERT = "INSERT INTO webhook_events (provider, event_id, event_type, object_id,"
            + " body_sha256) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (provider, event_id) DO NOTHING RETURNING 1";
    private static final String SELECT_BODY =
            "SELECT body_sha256 FROM webhook_events WHERE provider = $1 AND event_id = $2";

    private final Pool pool;
    private final TransactionalPublisher publisher;

    /** {@code pool} is the webhooks' own; {@code publisher} writes {@link Topics#WEBHOOKS} only. */
    public WebhookIntake(Pool pool, TransactionalPublisher publisher) {
        this.pool = pool;
        this.publisher = publisher;
    }

    /** Completes on {@code context} once the event is taken, or fails: nothing of it then remains. */
    public Future<Taken> take(Context context, WebhookEvent event, byte[] body, long receivedAtMs) {
        byte[] digest = sha256(body);
        return pool.withTransaction(conn -> conn.preparedQuery(INSERT)
                .execute(Tuple.of(
                        event.provider().wireName, event.eventId(), event.eventType(), event.objectId(), digest))
                .compose(rows -> rows.size() == 1
                        ? publish(context, event, body, receivedAtMs).map(Taken.ACCEPTED)
                        : known(conn, event, digest)));
    }

    private static Future<Taken> known(SqlConnection conn, WebhookEvent event, byte[] digest) {
        return conn.preparedQuery(SELECT_BODY)
                .execute(Tuple.of(event.provider().wireName, event.eventId()))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    return MessageDigest.isEqual(row.getBuffer(0).getBytes(), digest)
                            ? Taken.DUPLICATE
                            : Taken.DUPLICATE_BODY_DIFFERS;
                });
    }

    private Future<Void> publish(Context context, WebhookEvent event, byte[] body, long receivedAtMs) {
        return Future.fromCompletionStage(
                publisher.publish(List.of(record(event, body, receivedAtMs)), false), context);
    }

    /** The record of one event: keyed by {@link WebhookEvent#recordKey}, the body unchanged. */
    static ProducerRecord<String, byte[]> record(WebhookEvent event, byte[] body, long receivedAtMs) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(header(HEADER_PROVIDER, event.provider().wireName));
        headers.add(header(HEADER_EVENT_ID, event.eventId()));
        headers.add(header(HEADER_EVENT_TYPE, event.eventType()));
        if (event.objectId() != null) {
            headers.add(header(HEADER_OBJECT_ID, event.objectId()));
        }
        if (event.paymentId() != null) {
            headers.add(header(HEADER_PAYMENT_ID, event.paymentId()));
        }
        headers.add(header(HEADER_RECEIVED_AT_MS, Long.toString(receivedAtMs)));
        return new ProducerRecord<>(Topics.WEBHOOKS, null, event.recordKey(), body, headers);
    }

    private static RecordHeader header(String name, String value) {
        return new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] sha256(byte[] body) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(body);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JDK", e);
        }
    }
}
