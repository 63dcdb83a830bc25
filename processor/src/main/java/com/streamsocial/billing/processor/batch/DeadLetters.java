package com.streamsocial.billing.processor.batch;

import com.streamsocial.billing.events.DeadLetterHeaders;
import com.streamsocial.billing.events.Topics;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A record that cannot be processed, as {@code payments.dlq} holds it: its key and value unchanged,
 * the error and its source in headers (see {@link DeadLetterHeaders}). Both the payments' and the
 * refunds' orchestrators write it in their batch's transaction, so it is there exactly when the
 * batch's offsets are committed.
 */
public final class DeadLetters {
    private DeadLetters() {}

    /**
     * The dead letter of the record at {@code partition}/{@code offset} of {@code sourceTopic};
     * {@code rawKey} (null when absent) is kept exact, and the message is cut to its bound.
     */
    public static ProducerRecord<String, byte[]> of(
            String sourceTopic,
            int partition,
            long offset,
            String key,
            byte[] rawKey,
            byte[] value,
            String code,
            String message) {
        ProducerRecord<String, byte[]> dlq = new ProducerRecord<>(Topics.DLQ, key, value);
        String m = message.length() > DeadLetterHeaders.MESSAGE_CHARS_MAX
                ? message.substring(0, DeadLetterHeaders.MESSAGE_CHARS_MAX)
                : message;
        dlq.headers()
                .add(DeadLetterHeaders.ERROR_CODE, utf8(code))
                .add(DeadLetterHeaders.ERROR_MESSAGE, utf8(m))
                .add(DeadLetterHeaders.SOURCE_TOPIC, utf8(sourceTopic))
                .add(DeadLetterHeaders.SOURCE_PARTITION, utf8(Integer.toString(partition)))
                .add(DeadLetterHeaders.SOURCE_OFFSET, utf8(Long.toString(offset)));
        if (rawKey != null) {
            dlq.headers().add(DeadLetterHeaders.SOURCE_KEY, rawKey);
        }
        return dlq;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
