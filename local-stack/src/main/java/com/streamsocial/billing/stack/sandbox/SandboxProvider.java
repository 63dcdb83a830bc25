package com.streamsocial.billing.stack.sandbox;

import com.streamsocial.billing.events.Check;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Our sandbox payment provider: an HTTP server that answers the subset of Stripe's API the processor
 * and reconciliation use, with Stripe's shapes, error shapes and idempotency rules, and fault
 * injection. Stripe's own Java client drives it in {@code SandboxStripeClientIT}. Every charge it
 * makes is kept durably in PostgreSQL (schema {@code sandbox}), and listed as Stripe lists balance
 * transactions, which is the settlement report reconciliation reads.
 *
 * <ul>
 *   <li>{@code POST /v1/payment_intents} (form: amount, currency, customer, payment_method,
 *       confirm=true, automatic_payment_methods[...] or return_url, metadata[...]). Test methods:
 *       {@code pm_card_visa} (and any other {@code pm_card_*}) succeeds; {@code pm_card_chargeDeclined}
 *       and {@code pm_card_chargeDeclinedInsufficientFunds} decline with 402;
 *       {@code pm_card_authenticationRequired} answers 200 {@code requires_action} and stays so;
 *       {@code pm_sandbox_processing} answers 200 {@code processing} and succeeds (charges) when next
 *       retrieved; {@code pm_sandbox_amountMismatch} and {@code pm_sandbox_currencyMismatch} succeed
 *       for one unit more, or in another currency, than asked.
 *   <li>{@code GET /v1/payment_intents/{id}}, {@code GET /v1/charges/{id}}.
 *   <li>Customers and saved payment methods ({@link SandboxCustomers}): a {@code pm_…} attached to a
 *       customer charges as the test token it was made from, with that customer only.
 *   <li>{@code POST /v1/refunds} (form: charge or payment_intent, amount, reason, metadata[...]): a refund
 *       of {@code amount} or of what remains, several per charge, never beyond it ({@code
 *       charge_already_refunded} once nothing remains, {@code amount_too_large} over what remains).
 *   <li>{@code GET /v1/refunds/{id}}: a refund as it stands; a charge made with {@code
 *       pm_sandbox_refundPending} gets refunds answered {@code pending}, decided by {@code POST
 *       /sandbox/refunds/{id}} ({@code {"status":"succeeded"|"failed"}}); a pending refund holds its
 *       amount, and enters the balance transactions only once it succeeded.
 *   <li>{@code GET /v1/balance_transactions?created[gte]&created[lte]&limit&starting_after&expand[]=data.source}
 *       ({@code expand[0]=} as well).
 *   <li>PayPal's Orders, OAuth2 and Transaction Search subset: see {@link PayPalSandbox}.
 *   <li>{@code GET|POST /sandbox/faults}; {@code GET /sandbox/charges/stats}: charges per key, and
 *       answers dropped and replayed; {@code GET /sandbox/traces}: the latest API calls that carried
 *       a W3C {@code traceparent} ({@link SandboxTraces}).
 * </ul>
 *
 * Unknown parameters are refused with 400 {@code parameter_unknown}, as Stripe does, and every error,
 * unknown routes included, is JSON in Stripe's shape. Idempotency as Stripe's: the first answer under
 * a key, errors included, is stored and replayed for 24 h; other parameters under the same key get
 * 400 {@code idempotency_error}; the same key while the first is running, 409.
 */
public final class SandboxProvider extends VerticleBase {
    /** Prepared statements kept per PostgreSQL connection, at most (the hot path uses a handful). */
    static final int PG_STATEMENT_CACHE_MAX = 64;

    /** The page size Stripe allows at most on list endpoints. */
    public static final int LIST_LIMIT_MAX = 100;

    private static final long KEY_TTL_S = 24 * 3600;

    /** Sandbox-only test methods (Stripe has no card for these): see the class comment. */
    public static final String PM_PROCESSING = "pm_sandbox_processing";

    public static final String PM_AMOUNT_MISMATCH = "pm_sandbox_amountMismatch";
    public static final String PM_CURRENCY_MISMATCH = "pm_sandbox_currencyMismatch";

    /**
     * Charges (Stripe) and captures (PayPal) made with this method get refunds the provider leaves
     * pending ({@code pending}, {@code PENDING}) until {@code POST /sandbox/refunds/{id}} decides them.
     */
    public static final String PM_REFUND_PENDING = "pm_sandbox_refundPending";

    /** The parameters each endpoint takes, as Stripe names them; anything else is {@code parameter_unknown}. */
    private static final Set<String> CREATE_INTENT_PARAMS = Set.of(
            "amount",
            "currency",
            "customer",
            "payment_method",
            "confirm",
            "description",
            "receipt_email",
            "statement_descriptor",
            "return_url",
            "automatic_payment_methods[enabled]",
            "automatic_payment_methods[allow_redirects]",
            "metadata[]",
            "expand[]",
            "payment_method_types[]");

    private static final Set<String> REFUND_PARAMS =
            Set.of("charge", "payment_intent", "amount", "reason", "metadata[]", "expand[]");
    private static final Set<String> RETRIEVE_PARAMS = Set.of("expand[]");
    private static final Set<String> LIST_PARAMS = Set.of(
            "created[gte]",
            "created[gt]",
            "created[lte]",
            "created[lt]",
            "created",
            "limit",
            "starting_after",
            "ending_before",
            "type",
            "expand[]");
    /** A key left in progress this long (the sandbox died mid-request) may be used again. */
    private static final long IN_PROGRESS_ABANDONED_S = 60;

    private static final String SCHEMA = """
            CREATE SCHEMA IF NOT EXISTS sandbox;
            CREATE TABLE IF NOT EXISTS sandbox.idempotency (
                key          text PRIMARY KEY,
                request_hash text NOT NULL,
                state        text NOT NULL,
                status       integer,
                body         text,
                created_at   timestamptz NOT NULL DEFAULT now());
            CREATE TABLE IF NOT EXISTS sandbox.charges (
                id              text PRIMARY KEY,
                payment_intent  text NOT NULL,
                idempotency_key text,
                amount          bigint NOT NULL,
                currency        text NOT NULL,
                customer        text,
                payment_method  text,
                payment_id      text,
                refunded        boolean NOT NULL DEFAULT false,
                created_s       bigint NOT NULL);
            -- The charge's whole metadata (JSON), as Stripe keeps it; older sandbox databases gain it.
            ALTER TABLE sandbox.charges ADD COLUMN IF NOT EXISTS metadata text;
            -- Partial and repeated refunds (issue 21 §1): what is refunded so far; refunded once it is all.
            ALTER TABLE sandbox.charges ADD COLUMN IF NOT EXISTS amount_refunded bigint NOT NULL DEFAULT 0;
            UPDATE sandbox.charges SET amount_refunded = amount WHERE refunded AND amount_refunded = 0;
            CREATE INDEX IF NOT EXISTS charges_by_key ON sandbox.charges (idempotency_key);
            CREATE INDEX IF NOT EXISTS charges_by_intent ON sandbox.charges (payment_intent);
            ALTER TABLE sandbox.idempotency ADD COLUMN IF NOT EXISTS dropped boolean NOT NULL DEFAULT false;
            ALTER TABLE sandbox.idempotency ADD COLUMN IF NOT EXISTS replays integer NOT NULL DEFAULT 0;
            CREATE TABLE IF NOT EXISTS sandbox.intents (
                id              text PRIMARY KEY,
                idempotency_key text,
                payment_id      text,
                status          text NOT NULL,
                body            text NOT NULL);
            CREATE TABLE IF NOT EXISTS sandbox.balance_transactions (
                seq        bigserial PRIMARY KEY,
                id         text NOT NULL UNIQUE,
                type       text NOT NULL,
                source     text NOT NULL,
                charge     text NOT NULL,
                amount     bigint NOT NULL,
                currency   text NOT NULL,
                payment_id text,
                created_s  bigint NOT NULL);
            CREATE INDEX IF NOT EXISTS balance_by_created ON sandbox.balance_transactions (created_s, seq);
            -- A refund's metadata[refund_id], as Stripe keeps a refund's metadata: the chaos checker counts
            -- the provider's refunds per refund id with it (issue 21 §1); null for charges and unmarked refunds.
            ALTER TABLE sandbox.balance_transactions ADD COLUMN IF NOT EXISTS refund_id text;
            -- Every refund as Stripe's GET /v1/refunds/{id} shows it (issue 21): a pending one holds its
            -- amount against the charge and has no balance transaction until it succeeds.
            CREATE TABLE IF NOT EXISTS sandbox.refunds (
                id             text PRIMARY KEY,
                charge         text NOT NULL,
                payment_intent text,
                amount         bigint NOT NULL,
                currency       text NOT NULL,
                status         text NOT NULL,
                failure_reason text,
                reason         text,
                metadata       text,
                created_s      bigint NOT NULL);
            CREATE INDEX IF NOT EXISTS refunds_by_charge ON sandbox.refunds (charge);
            """;

    /**
     * Group commit's bounds. Concurrent requests share statements and commits: their idempotency
     * keys are claimed in one statement, and their answers (with the charges they make) stored in
     * another, each batch one commit; while one batch is written the next gathers.
     *
     * @param batchChargesMax the most requests in one batch statement (claims, or stored answers)
     * @param queuedChargesMax the most idempotent requests (payment intents, refunds) admitted at
     *     once, from arrival to answer: waiting for a batch, or running (latency faults included);
     *     one more is answered 429 with {@code Retry-After} before any effect, and counted. Both
     *     batch queues hold admitted requests only, so neither can hold more.
     * @param lingerMs how long a lone first request waits for company before its batch is written;
     *     0 writes at once (batches still form while the previous one is written)
     */
    public record Limits(int batchChargesMax, int queuedChargesMax, long lingerMs) {
        public static final Limits DEFAULT = new Limits(512, 4_096, 0);

        public Limits {
            Check.argument(
                    batchChargesMax >= 1 && batchChargesMax <= 10_000,
                    "batchChargesMax must be within 1..10000, got %d",
                    batchChargesMax);
            Check.argument(
                    queuedChargesMax >= batchChargesMax && queuedChargesMax <= 1_000_000,
                    "queuedChargesMax must be within batchChargesMax..1000000, got %d",
                    queuedChargesMax);
            Check.argument(lingerMs >= 0 && lingerMs <= 1_000, "lingerMs must be within 0..1000, got %d", lingerMs);
        }
    }

    private final int port;
    private final String host;
    private final String pgUri;
    private final String expectedAuthorization;
    private final Limits limits;
    private volatile SandboxFaults faults;
    private Pool pool;
    private HttpServer server;
    private GroupCommitWriter<IdempotencyClaims.Claim, IdempotencyClaims.Outcome> claims;
    private GroupCommitWriter<AnswerWrite, Answer> answers;
    /** Idempotent requests admitted and not yet answered; event loop only. */
    private int admitted;
    /** The PayPal subset (see {@link PayPalSandbox}), on the same server and database. */
    private PayPalSandbox paypal;
    /** Seconds a PayPal access token lives; PayPal's own is 32,400. */
    private volatile long paypalTokenTtlS = 32_400;
    /** Where and with which secret it sends Stripe webhooks ({@link SandboxWebhooks}); null: it sends none. */
    private volatile String webhookUrl;

    private volatile String webhookSecret;
    /** Where and to which webhook id it sends PayPal webhooks; null: it sends none. */
    private volatile String paypalWebhookUrl;

    private volatile String paypalWebhookId;
    private SandboxWebhooks webhooks;
    /** Requests refused with 429 because {@code queuedChargesMax} were admitted; since start. */
    private volatile long refusedOverloaded;

    public SandboxProvider(String host, int port, String pgUri, String secretKey, SandboxFaults faults) {
        this(host, port, pgUri, secretKey, faults, Limits.DEFAULT);
    }

    public SandboxProvider(String host, int port, String pgUri, String secretKey, SandboxFaults faults, Limits limits) {
        this.host = host;
        this.port = port;
        this.pgUri = pgUri;
        this.expectedAuthorization = "Bearer " + secretKey;
        this.faults = faults;
        this.limits = limits;
    }

    public int port() {
        return server == null ? port : server.actualPort();
    }

    /**
     * Sends Stripe webhooks to {@code url} (a gateway's {@code /v1/webhooks/stripe}), signed with
     * {@code secret}, when a test triggers one ({@code POST /sandbox/webhooks/stripe}).
     */
    public void sendWebhooksTo(String url, String secret) {
        this.webhookSecret = secret;
        this.webhookUrl = url;
    }

    /**
     * Sends PayPal webhooks to {@code url} (a gateway's {@code /v1/webhooks/paypal}) as deliveries to
     * PayPal webhook {@code webhookId}, when a test triggers one ({@code POST /sandbox/webhooks/paypal});
     * this sandbox's verify-webhook-signature API verifies them.
     */
    public void sendPayPalWebhooksTo(String url, String webhookId) {
        this.paypalWebhookId = webhookId;
        this.paypalWebhookUrl = url;
    }

    public void setFaults(SandboxFaults faults) {
        this.faults = faults;
    }

    /** Seconds each PayPal access token issued from now on lives (short ones test expiry). */
    public void setPayPalTokenTtlS(long seconds) {
        Check.argument(seconds >= 1 && seconds <= 32_400, "token TTL must be within 1..32400 s, got %d", seconds);
        this.paypalTokenTtlS = seconds;
        if (paypal != null) {
            paypal.setTokenTtlS(seconds);
        }
    }

    /**
     * While on, every PayPal capture request is held unanswered and without effect until its client
     * gives up on it: the capture never reaches "PayPal". The crash tests use it to stop a processor
     * between its orders and their captures. Started before {@link #start}, it does nothing.
     */
    public void holdPayPalCaptures(boolean hold) {
        if (paypal != null) {
            paypal.holdCaptures(hold);
        }
    }

    /**
     * Lines one Transaction Search query may match before it is refused with {@code
     * RESULTSET_TOO_LARGE} (PayPal's: 10,000); small ones make reconciliation narrow its date ranges.
     */
    public void setPayPalReportLinesMax(int linesMax) {
        Check.argument(linesMax >= 1, "report lines max must be positive, got %d", linesMax);
        if (paypal != null) {
            paypal.setReportLinesMax(linesMax);
        }
    }

    /** Stripe customers and the payment methods attached to them (issue 19 §1), in memory. */
    private final SandboxCustomers customers = new SandboxCustomers();

    /** The provider calls that carried a {@code traceparent}, latest first out. */
    private final SandboxTraces traces = new SandboxTraces();

    @Override
    public Future<?> start() {
        pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(8).setMaxWaitQueueSize(2_000))
                // Fixed statement texts: parsed and planned once per connection, not once per charge.
                .connectingTo(PgConnectOptions.fromUri(pgUri)
                        .setCachePreparedStatements(true)
                        .setPreparedStatementCacheMaxSize(PG_STATEMENT_CACHE_MAX))
                .using(vertx)
                .build();
        claims = new GroupCommitWriter<>(
                vertx,
                "sandbox idempotency claims",
                limits.batchChargesMax(),
                limits.queuedChargesMax(),
                limits.lingerMs(),
                this::writeClaims);
        answers = new GroupCommitWriter<>(
                vertx,
                "sandbox answers",
                limits.batchChargesMax(),
                limits.queuedChargesMax(),
                limits.lingerMs(),
                this::writeAnswers);
        Router router = Router.router(vertx);
        router.route().handler(BodyHandler.create(false).setBodyLimit(64 * 1024));
        // The calls that carry a trace context, for tests of tracing (GET /sandbox/traces).
        router.route("/v1/*").handler(traces::record);
        router.route("/v2/*").handler(traces::record);
        router.post("/v1/payment_intents").handler(this::authorised).handler(this::createPaymentIntent);
        router.get("/v1/payment_intents/:id").handler(this::authorised).handler(this::retrievePaymentIntent);
        router.get("/v1/charges/:id").handler(this::authorised).handler(this::retrieveCharge);
        router.post("/v1/refunds").handler(this::authorised).handler(this::createRefund);
        router.get("/v1/refunds/:id").handler(this::authorised).handler(this::retrieveRefund);
        router.get("/v1/balance_transactions").handler(this::authorised).handler(this::listBalanceTransactions);
        customers.routes(router, this::authorised);
        paypal = new PayPalSandbox(vertx, pool, () -> faults, paypalTokenTtlS);
        paypal.routes(router);
        adminRoutes(router);
        // Whatever the router itself answers (no route, wrong method, body too large, a handler that
        // threw) is a JSON error in Stripe's shape, never Vert.x's HTML or plain text.
        router.route().last().handler(this::unrecognised);
        router.errorHandler(404, this::unrecognised);
        router.errorHandler(405, this::unrecognised);
        router.errorHandler(400, ctx -> error(ctx, 400, "invalid_request_error", null, "Invalid request."));
        router.errorHandler(413, ctx -> error(ctx, 413, "invalid_request_error", null, "Request body too large."));
        router.errorHandler(415, ctx -> error(ctx, 415, "invalid_request_error", null, "Unsupported body type."));
        router.errorHandler(500, ctx -> send(ctx, internal(ctx.failure()), false, false));
        return pool.query(SCHEMA)
                .execute()
                .compose(v -> pool.query(PayPalSandbox.SCHEMA).execute())
                .compose(v -> vertx.createHttpServer().requestHandler(router).listen(port, host))
                .onSuccess(s -> server = s);
    }

    /** The sandbox's own routes ({@code /sandbox/...}): faults, counts, refund decisions, traces, webhook triggers. */
    private void adminRoutes(Router router) {
        router.get("/sandbox/faults").handler(ctx -> ctx.json(faults.toJson()));
        router.post("/sandbox/faults").handler(ctx -> {
            try {
                faults = SandboxFaults.fromJson(ctx.body().asJsonObject());
                ctx.json(faults.toJson());
            } catch (RuntimeException e) {
                error(ctx, 400, "invalid_request_error", "parameter_invalid", String.valueOf(e.getMessage()));
            }
        });
        router.get("/sandbox/charges/stats").handler(this::chargeStats);
        router.post("/sandbox/refunds/:id").handler(this::settleRefund);
        router.get("/sandbox/traces").handler(traces::list);
        router.post("/sandbox/webhooks/stripe").handler(this::triggerWebhook);
        router.post("/sandbox/webhooks/paypal").handler(this::triggerPayPalWebhook);
        router.get("/sandbox/charges/count")
                .handler(ctx -> pool.preparedQuery("SELECT count(*) FROM sandbox.charges WHERE idempotency_key = $1")
                        .execute(Tuple.of(ctx.queryParams().get("idempotency_key")))
                        .onSuccess(rows -> ctx.json(new JsonObject()
                                .put("idempotency_key", ctx.queryParams().get("idempotency_key"))
                                .put("charges", rows.iterator().next().getLong(0))))
                        .onFailure(e -> send(ctx, internal(e), false, false)));
    }

    @Override
    public Future<?> stop() {
        return (server == null ? Future.succeededFuture() : server.close())
                .eventually(() -> webhooks == null ? Future.succeededFuture() : webhooks.close())
                .eventually(() -> pool.close());
    }

    /** A test's trigger of one Stripe webhook; {@code 404} unless {@link #sendWebhooksTo} was called. */
    private void triggerWebhook(RoutingContext ctx) {
        if (webhookUrl == null) {
            error(ctx, 404, "invalid_request_error", null, "Webhooks are not configured in this sandbox.");
            return;
        }
        webhooks().triggerStripe(ctx, webhookUrl, webhookSecret);
    }

    /** A test's trigger of one PayPal webhook; {@code 404} unless {@link #sendPayPalWebhooksTo} was called. */
    private void triggerPayPalWebhook(RoutingContext ctx) {
        if (paypalWebhookUrl == null) {
            error(ctx, 404, "invalid_request_error", null, "PayPal webhooks are not configured in this sandbox.");
            return;
        }
        webhooks().triggerPayPal(ctx, paypalWebhookUrl, paypalWebhookId);
    }

    private SandboxWebhooks webhooks() {
        if (webhooks == null) {
            webhooks = new SandboxWebhooks(vertx, (provider, event) -> AnnouncedRefunds.record(pool, provider, event));
        }
        return webhooks;
    }

    private void authorised(RoutingContext ctx) {
        String auth = ctx.request().getHeader("Authorization");
        if (!expectedAuthorization.equals(auth)) {
            error(ctx, 401, "invalid_request_error", null, "Invalid API Key provided.");
            return;
        }
        ctx.next();
    }

    /** Stripe's answer to a route it does not have: 404, no code. */
    private void unrecognised(RoutingContext ctx) {
        error(
                ctx,
                404,
                "invalid_request_error",
                null,
                "Unrecognized request URL (" + ctx.request().method() + ": "
                        + ctx.request().path()
                        + "). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.");
    }

    /** Injected failures that happen before the request has any effect. */
    private boolean injectedFailure(RoutingContext ctx) {
        SandboxFaults f = faults;
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        if (rnd.nextDouble() < f.tooManyRequestsRate()) {
            error(ctx, 429, "invalid_request_error", "rate_limit", "Too many requests hit the API too quickly.");
            return true;
        }
        if (rnd.nextDouble() < f.errorRate()) {
            int status = f.errorStatus() != 0 ? f.errorStatus() : rnd.nextBoolean() ? 500 : 503;
            error(ctx, status, "api_error", null, "An error occurred with our connection to the sandbox.");
            return true;
        }
        return false;
    }

    private Future<Void> latency() {
        SandboxFaults f = faults;
        long ms = f.latencyMsMax() == 0
                ? 0
                : ThreadLocalRandom.current().nextLong(f.latencyMsMin(), f.latencyMsMax() + 1);
        if (ms == 0) {
            return Future.succeededFuture();
        }
        Promise<Void> p = Promise.promise();
        vertx.setTimer(ms, t -> p.complete());
        return p.future();
    }

    /**
     * An answer, already encoded (once: the same text is stored and sent), and what it makes that is
     * written in the same statement as the stored answer: a charge, or an intent that is not (yet)
     * charged. At most one of the two.
     */
    private record Answer(int status, String json, ChargeRow charge, IntentRow intent) {
        Answer(int status, String json) {
            this(status, json, null, null);
        }

        Answer(int status, JsonObject body) {
            this(status, body.encode(), null, null);
        }
    }

    /** A succeeded charge's row values; its balance transaction is derived from them. */
    private record ChargeRow(
            String id,
            String paymentIntent,
            long amount,
            String currency,
            String customer,
            String paymentMethod,
            String paymentId,
            long createdS,
            String metadata) {}

    /** An intent not charged at creation (declined, requires_action, processing), as retrieved later. */
    private record IntentRow(String id, String paymentId, String status, String body) {}

    /** One answer to store under its key (null: no key), with what it makes. */
    private record AnswerWrite(String key, Answer answer, boolean dropped) {}

    /**
     * The idempotency-key claims of a batch of requests, in one statement and one commit. A free key
     * is inserted in progress; a key whose answer is older than 24 h, or left in progress longer than
     * the abandonment time (the sandbox died mid-request), is taken over as if new (the row reset as
     * a delete and insert would). Each input key, distinct, comes back once: claimed, or with the
     * record found under it before the statement (none: it vanished meanwhile, treated as in use).
     */
    private static final String CLAIM_BATCH = """
            WITH input AS (
                SELECT * FROM unnest($1::text[], $2::text[]) AS t(key, request_hash)
            ), claimed AS (
                INSERT INTO sandbox.idempotency AS i (key, request_hash, state)
                SELECT key, request_hash, 'in_progress' FROM input
                ON CONFLICT (key) DO UPDATE
                    SET request_hash = EXCLUDED.request_hash, state = 'in_progress', status = NULL, body = NULL,
                        created_at = now(), dropped = false, replays = 0
                    WHERE i.created_at < now() - make_interval(secs => $3)
                       OR (i.state = 'in_progress' AND i.created_at < now() - make_interval(secs => $4))
                RETURNING i.key
            )
            SELECT input.key, claimed.key IS NOT NULL, s.request_hash, s.state, s.status, s.body
            FROM input
            LEFT JOIN claimed ON claimed.key = input.key
            LEFT JOIN sandbox.idempotency s ON s.key = input.key AND claimed.key IS NULL""";

    /**
     * A batch's answers with everything they make, in one statement and one commit: charges, their
     * balance transactions, intents not charged, and each keyed answer stored as its key's final
     * answer. So a charge is never stored without its answer (a crash in between would otherwise
     * leave the key in progress, to be charged again once abandoned), and no answer is sent before
     * its commit. A row with no key ($1 null) stores no answer, as the UPDATE matches no row.
     */
    private static final String STORE_BATCH = """
            WITH a AS (
                SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::boolean[],
                                     $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[],
                                     $11::text[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[])
                    AS t(key, status, body, dropped,
                         charge, payment_intent, amount, currency, customer, payment_method,
                         payment_id, created_s, metadata, intent, intent_status, intent_body)
            ), c AS (
                INSERT INTO sandbox.charges (id, payment_intent, idempotency_key, amount, currency, customer,
                                             payment_method, payment_id, created_s, metadata)
                SELECT charge, payment_intent, key, amount, currency, customer, payment_method, payment_id, created_s,
                       metadata
                FROM a WHERE charge IS NOT NULL
            ), b AS (
                INSERT INTO sandbox.balance_transactions (id, type, source, charge, amount, currency, payment_id, created_s)
                SELECT 'txn_' || charge, 'charge', charge, charge, amount, currency, payment_id, created_s
                FROM a WHERE charge IS NOT NULL
            ), n AS (
                INSERT INTO sandbox.intents (id, idempotency_key, payment_id, status, body)
                SELECT intent, key, payment_id, intent_status, intent_body FROM a WHERE intent IS NOT NULL
                ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, body = EXCLUDED.body
            )
            UPDATE sandbox.idempotency i SET state = 'done', status = a.status, body = a.body, dropped = a.dropped
            FROM a WHERE i.key = a.key""";

    private void createPaymentIntent(RoutingContext ctx) {
        if (injectedFailure(ctx)) {
            return;
        }
        MultiMap form = ctx.request().formAttributes();
        String key = ctx.request().getHeader("Idempotency-Key");
        idempotent(ctx, key, form, (k, dropped) -> latency().compose(v -> charge(form, key)));
    }

    private void createRefund(RoutingContext ctx) {
        if (injectedFailure(ctx)) {
            return;
        }
        MultiMap form = ctx.request().formAttributes();
        idempotent(ctx, ctx.request().getHeader("Idempotency-Key"), form, (key, dropped) -> refund(form, key, dropped));
    }

    /**
     * What a request does under its claimed key ({@code null} without one). A charge is stored with its
     * answer by the batch ({@link #STORE_BATCH}); work that commits its own effect (a refund) stores its
     * answer under {@code key} in that same transaction, {@code dropped} with it, so that a crash after
     * its commit never leaves the key in progress, to run the effect again once abandoned.
     */
    @FunctionalInterface
    private interface Work {
        Future<Answer> run(String key, boolean dropped);
    }

    /**
     * Runs {@code work} once per key and replays its first answer; drops answers when told to. At
     * most {@code queuedChargesMax} requests are admitted at once; one more is refused before any
     * effect, with 429 and Retry-After.
     */
    private void idempotent(RoutingContext ctx, String key, MultiMap form, Work work) {
        if (admitted >= limits.queuedChargesMax()) {
            overloaded(ctx);
            return;
        }
        admitted++;
        Future<Void> answered;
        if (key == null || key.isEmpty()) {
            answered = work.run(null, false)
                    .compose(answer -> answer.charge() == null && answer.intent() == null
                            ? Future.succeededFuture(answer)
                            : store(null, answer, false))
                    .transform(ar -> {
                        send(ctx, ar.succeeded() ? ar.result() : internal(ar.cause()), false, false);
                        return Future.<Void>succeededFuture();
                    });
        } else {
            String hash = hash(form);
            answered = claims.submit(new IdempotencyClaims.Claim(key, hash))
                    .transform(ar -> {
                        if (ar.failed()) {
                            // Nothing claimed: refusing now has no effect to undo.
                            if (ar.cause() instanceof GroupCommitWriter.Overloaded) {
                                overloaded(ctx);
                            } else {
                                send(ctx, internal(ar.cause()), false, false);
                            }
                            return Future.<Void>succeededFuture();
                        }
                        IdempotencyClaims.Outcome outcome = ar.result();
                        return switch (outcome.kind()) {
                            case CLAIMED -> run(ctx, key, work);
                            case REPLAY -> replay(ctx, key, outcome.stored());
                            case IN_USE -> {
                                send(ctx, conflict(), false, false);
                                yield Future.<Void>succeededFuture();
                            }
                            case MISMATCH -> {
                                send(
                                        ctx,
                                        new Answer(
                                                400,
                                                errorBody(
                                                        "idempotency_error",
                                                        null,
                                                        "Keys for idempotent requests can only be used with the same parameters they were first used with.")),
                                        false,
                                        false);
                                yield Future.<Void>succeededFuture();
                            }
                        };
                    })
                    .recover(e -> {
                        send(ctx, internal(e), false, false);
                        return Future.succeededFuture();
                    });
        }
        answered.onComplete(ar -> admitted--);
    }

    /**
     * The key is this request's: its answer, whatever it is, is stored under the key, then sent. Work
     * that fails has rolled back, so nothing happened: the key is released (as PayPal's sandbox frees
     * its request id), the client gets 500 and its retry runs the work, never a stored 500 for ever.
     */
    private Future<Void> run(RoutingContext ctx, String key, Work work) {
        // Decided before the answer is stored, so that the record of the loss is durable with it.
        boolean drop = ThreadLocalRandom.current().nextDouble() < faults.dropResponseRate();
        return work.run(key, drop)
                .recover(e -> pool.preparedQuery(
                                "DELETE FROM sandbox.idempotency WHERE key = $1 AND state = 'in_progress'")
                        .execute(Tuple.of(key))
                        .transform(released -> Future.<Answer>failedFuture(e)))
                .compose(answer -> store(key, answer, drop))
                .map(answer -> {
                    send(ctx, answer, false, drop);
                    return null;
                });
    }

    /** The first answer again; the replay is counted (durably) before it is sent. */
    private Future<Void> replay(RoutingContext ctx, String key, IdempotencyClaims.Stored first) {
        return pool.preparedQuery("UPDATE sandbox.idempotency SET replays = replays + 1 WHERE key = $1")
                .execute(Tuple.of(key))
                .map(v -> {
                    send(ctx, new Answer(first.status(), first.body()), true, false);
                    return null;
                });
    }

    /** 429 before any effect, as Stripe's rate limit, with when to come back; counted. */
    private void overloaded(RoutingContext ctx) {
        refusedOverloaded++;
        if (!ctx.response().ended()) {
            ctx.response().putHeader("Retry-After", "1");
        }
        error(ctx, 429, "invalid_request_error", "rate_limit", "Too many requests hit the API too quickly.");
    }

    /**
     * Stores the answer under its key, with what it makes, in the next batch; {@code dropped}
     * records that the answer will be lost on the way back (a fault). Answers after the commit.
     */
    private Future<Answer> store(String key, Answer answer, boolean dropped) {
        return answers.submit(new AnswerWrite(key, answer, dropped));
    }

    /** One claim statement for a batch, its rows mapped back to each request in batch order. */
    private Future<List<IdempotencyClaims.Outcome>> writeClaims(List<IdempotencyClaims.Claim> batch) {
        List<IdempotencyClaims.Claim> distinct = IdempotencyClaims.distinct(batch);
        String[] keys = new String[distinct.size()];
        String[] hashes = new String[distinct.size()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = distinct.get(i).key();
            hashes[i] = distinct.get(i).requestHash();
        }
        return pool.preparedQuery(CLAIM_BATCH)
                .execute(Tuple.of(keys, hashes, (double) KEY_TTL_S, (double) IN_PROGRESS_ABANDONED_S))
                .map(rows -> {
                    Set<String> claimed = new HashSet<>();
                    Map<String, IdempotencyClaims.Stored> found = new HashMap<>();
                    for (Row r : rows) {
                        String key = r.getString(0);
                        if (r.getBoolean(1)) {
                            claimed.add(key);
                        } else if (r.getString(2) != null) {
                            found.put(
                                    key,
                                    new IdempotencyClaims.Stored(
                                            r.getString(2),
                                            "done".equals(r.getString(3)),
                                            r.getInteger(4),
                                            r.getString(5)));
                        }
                    }
                    return IdempotencyClaims.outcomes(batch, claimed, found);
                });
    }

    /** One statement ({@link #STORE_BATCH}) for a batch of answers; each answers itself once committed. */
    private Future<List<Answer>> writeAnswers(List<AnswerWrite> batch) {
        int n = batch.size();
        String[] key = new String[n];
        Integer[] status = new Integer[n];
        String[] body = new String[n];
        Boolean[] dropped = new Boolean[n];
        String[] charge = new String[n];
        String[] paymentIntent = new String[n];
        Long[] amount = new Long[n];
        String[] currency = new String[n];
        String[] customer = new String[n];
        String[] paymentMethod = new String[n];
        String[] paymentId = new String[n];
        Long[] createdS = new Long[n];
        String[] metadata = new String[n];
        String[] intent = new String[n];
        String[] intentStatus = new String[n];
        String[] intentBody = new String[n];
        List<Answer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            AnswerWrite w = batch.get(i);
            Answer a = w.answer();
            out.add(a);
            key[i] = w.key();
            status[i] = a.status();
            body[i] = a.json();
            dropped[i] = w.dropped();
            ChargeRow c = a.charge();
            if (c != null) {
                charge[i] = c.id();
                paymentIntent[i] = c.paymentIntent();
                amount[i] = c.amount();
                currency[i] = c.currency();
                customer[i] = c.customer();
                paymentMethod[i] = c.paymentMethod();
                paymentId[i] = c.paymentId();
                createdS[i] = c.createdS();
                metadata[i] = c.metadata();
            }
            IntentRow t = a.intent();
            if (t != null) {
                intent[i] = t.id();
                paymentId[i] = t.paymentId();
                intentStatus[i] = t.status();
                intentBody[i] = t.body();
            }
        }
        return pool.preparedQuery(STORE_BATCH)
                .execute(Tuple.wrap(new Object[] {
                    key,
                    status,
                    body,
                    dropped,
                    charge,
                    paymentIntent,
                    amount,
                    currency,
                    customer,
                    paymentMethod,
                    paymentId,
                    createdS,
                    metadata,
                    intent,
                    intentStatus,
                    intentBody
                }))
                .map(out);
    }

    /**
     * A succeeded charge of {@code intent}: the intent marked succeeded, and the charge's row for
     * {@link #store} to write with the answer.
     */
    private static Answer succeeded(JsonObject intent, String paymentId) {
        String ch = "ch_" + randomId();
        long amount = intent.getLong("amount");
        intent.put("status", "succeeded").put("amount_received", amount).put("latest_charge", ch);
        ChargeRow row = new ChargeRow(
                ch,
                intent.getString("id"),
                amount,
                intent.getString("currency"),
                intent.getString("customer"),
                intent.getString("payment_method"),
                paymentId,
                System.currentTimeMillis() / 1000,
                intent.getJsonObject("metadata", new JsonObject()).encode());
        return new Answer(200, intent.encode(), row, null);
    }

    /** An answer about an intent not charged (yet), with the intent's row for {@link #store} to write. */
    private static Answer uncharged(int status, JsonObject body, JsonObject intent, String paymentId) {
        IntentRow row = new IntentRow(intent.getString("id"), paymentId, intent.getString("status"), intent.encode());
        return new Answer(status, body.encode(), null, row);
    }

    private Future<Answer> charge(MultiMap form, String key) {
        Answer refused = refusal(form);
        if (refused != null) {
            return Future.succeededFuture(refused);
        }
        long amount = Long.parseLong(form.get("amount"));
        String currency = form.get("currency");
        String method = form.get("payment_method");
        String lower = currency.toLowerCase(Locale.ROOT);
        String paymentId = form.get("metadata[payment_id]");
        String pi = "pi_" + randomId();
        long created = System.currentTimeMillis() / 1000;
        JsonObject metadata = metadata(form);
        JsonObject intent = new JsonObject()
                .put("id", pi)
                .put("object", "payment_intent")
                .put("amount", amount)
                .put("currency", lower)
                .put("customer", form.get("customer"))
                .put("payment_method", method)
                .put("capture_method", "automatic")
                .put("confirmation_method", "automatic")
                .put("livemode", false)
                .put("created", created)
                .put("metadata", metadata);
        String token = customers.tokenOf(method);
        Answer uncharged = token == null
                ? unchargedAnswer(method, intent, paymentId)
                : java.util.Objects.equals(customers.customerOf(method), form.get("customer"))
                        ? unchargedAnswer(token, intent, paymentId)
                        : new Answer(
                                400,
                                errorBody(
                                        "invalid_request_error",
                                        "payment_method_unexpected_state",
                                        "The provided PaymentMethod belongs to another Customer than '"
                                                + form.get("customer") + "'",
                                        "payment_method"));
        if (uncharged != null) {
            return Future.succeededFuture(uncharged);
        }
        long charged = PM_AMOUNT_MISMATCH.equals(method) ? amount + 1 : amount;
        String chargedCurrency = PM_CURRENCY_MISMATCH.equals(method) ? ("usd".equals(lower) ? "eur" : "usd") : lower;
        intent.put("amount", charged).put("currency", chargedCurrency);
        // A succeeded intent is not stored apart: its charge row holds it (see retrievePaymentIntent).
        // The charge is written by store(), with the stored answer, in one statement.
        return Future.succeededFuture(succeeded(intent, paymentId));
    }

    /** The create-and-confirm form's refusal, as Stripe words it, or null when the sandbox can charge it. */
    private static Answer refusal(MultiMap form) {
        Answer refused = refuseUnknown(form, CREATE_INTENT_PARAMS);
        if (refused != null) {
            return refused;
        }
        String amountText = form.get("amount");
        String currency = form.get("currency");
        String method = form.get("payment_method");
        long amount;
        try {
            amount = Long.parseLong(amountText == null ? "" : amountText);
        } catch (NumberFormatException e) {
            return new Answer(
                    400,
                    errorBody(
                            "invalid_request_error",
                            "parameter_invalid_integer",
                            "Invalid integer: " + amountText,
                            "amount"));
        }
        if (amount <= 0 || currency == null || currency.length() != 3 || method == null) {
            return new Answer(
                    400,
                    errorBody(
                            "invalid_request_error",
                            "parameter_missing",
                            "amount, currency and payment_method are required"));
        }
        if (!"true".equals(form.get("confirm"))) {
            return new Answer(
                    400,
                    errorBody(
                            "invalid_request_error",
                            "parameter_invalid",
                            "this sandbox only confirms at creation: send confirm=true"));
        }
        // Stripe enables automatic payment methods by default, and then refuses a confirmation that
        // could redirect the customer unless it has a return_url or redirects are turned off.
        boolean redirectsOff = "never".equals(form.get("automatic_payment_methods[allow_redirects]"))
                || form.names().stream().anyMatch(n -> n.startsWith("payment_method_types["));
        if (!redirectsOff && form.get("return_url") == null) {
            return new Answer(
                    400,
                    errorBody(
                            "invalid_request_error",
                            null,
                            "This PaymentIntent is configured to accept payment methods enabled in your Dashboard."
                                    + " Because some of these payment methods might redirect your customer off of your"
                                    + " page, you must provide a `return_url`. If you don't want to accept"
                                    + " redirect-based payment methods, set `automatic_payment_methods[enabled]` to"
                                    + " `true` and `automatic_payment_methods[allow_redirects]` to `never`."));
        }
        return null;
    }

    /**
     * The answer for a payment method that does not charge (a decline, 3-D Secure, processing, an
     * unknown method), or null for one that does.
     */
    private static Answer unchargedAnswer(String method, JsonObject intent, String paymentId) {
        String decline = switch (method) {
            case "pm_card_chargeDeclined" -> "generic_decline";
            case "pm_card_chargeDeclinedInsufficientFunds" -> "insufficient_funds";
            default -> null;
        };
        if (decline != null) {
            JsonObject lastError = new JsonObject()
                    .put("type", "card_error")
                    .put("code", "card_declined")
                    .put("decline_code", decline)
                    .put("message", "Your card was declined.");
            intent.put("status", "requires_payment_method")
                    .put("amount_received", 0)
                    .put("last_payment_error", lastError);
            JsonObject err = errorBody("card_error", "card_declined", "Your card was declined.");
            err.getJsonObject("error").put("decline_code", decline).put("payment_intent", intent);
            return uncharged(402, err, intent, paymentId);
        }
        if (!method.startsWith("pm_card_") && !method.startsWith("pm_sandbox_")) {
            return new Answer(
                    400,
                    errorBody(
                            "invalid_request_error",
                            "resource_missing",
                            "No such PaymentMethod: '" + method + "'",
                            "payment_method"));
        }
        switch (method) {
            case "pm_card_authenticationRequired" -> {
                // 3-D Secure: nothing moves until the customer authenticates, which never happens here.
                intent.put("status", "requires_action")
                        .put("amount_received", 0)
                        .put("next_action", new JsonObject().put("type", "use_stripe_sdk"));
                return uncharged(200, intent, intent, paymentId);
            }
            case PM_PROCESSING -> {
                // Settles, and charges, when it is next retrieved.
                intent.put("status", "processing").put("amount_received", 0);
                return uncharged(200, intent, intent, paymentId);
            }
            default -> {}
        }
        return null;
    }

    /** Charges an intent: a charge, its balance transaction, and the intent marked succeeded. */
    private static Future<Void> succeed(SqlConnection conn, JsonObject intent, String key, String paymentId) {
        String ch = "ch_" + randomId();
        long created = System.currentTimeMillis() / 1000;
        long amount = intent.getLong("amount");
        String currency = intent.getString("currency");
        intent.put("status", "succeeded").put("amount_received", amount).put("latest_charge", ch);
        return conn.preparedQuery("""
                        INSERT INTO sandbox.charges (id, payment_intent, idempotency_key, amount, currency, customer,
                                                     payment_method, payment_id, created_s, metadata)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""")
                .execute(Tuple.wrap(new Object[] {
                    ch,
                    intent.getString("id"),
                    key,
                    amount,
                    currency,
                    intent.getString("customer"),
                    intent.getString("payment_method"),
                    paymentId,
                    created,
                    intent.getJsonObject("metadata", new JsonObject()).encode()
                }))
                .compose(v -> conn.preparedQuery("""
                                INSERT INTO sandbox.balance_transactions (id, type, source, charge, amount, currency, payment_id, created_s)
                                VALUES ('txn_' || $1, 'charge', $1, $1, $2, $3, $4, $5)""").execute(Tuple.of(ch, amount, currency, paymentId, created)))
                .mapEmpty();
    }

    private void retrievePaymentIntent(RoutingContext ctx) {
        if (injectedFailure(ctx) || refusedQuery(ctx, RETRIEVE_PARAMS)) {
            return;
        }
        String id = ctx.pathParam("id");
        // One read and no transaction for an intent that can no longer move; a lock only to settle one.
        pool.preparedQuery("SELECT body, status FROM sandbox.intents WHERE id = $1")
                .execute(Tuple.of(id))
                .compose(rows -> {
                    if (rows.size() == 0) {
                        return succeededIntent(pool, id);
                    }
                    Row r = rows.iterator().next();
                    return "processing".equals(r.getString(1))
                            ? settle(id)
                            : Future.succeededFuture(new Answer(200, r.getString(0)));
                })
                .onComplete(ar -> send(ctx, ar.succeeded() ? ar.result() : internal(ar.cause()), false, false));
    }

    /** A processing intent charged now, under its row's lock; whoever comes second finds it settled. */
    private Future<Answer> settle(String id) {
        return pool.withTransaction(conn -> conn.preparedQuery(
                        "SELECT body, status, idempotency_key, payment_id FROM sandbox.intents WHERE id = $1 FOR UPDATE")
                .execute(Tuple.of(id))
                .compose(rows -> {
                    if (rows.size() == 0) {
                        return succeededIntent(conn, id);
                    }
                    Row r = rows.iterator().next();
                    if (!"processing".equals(r.getString(1))) {
                        return Future.succeededFuture(new Answer(200, r.getString(0)));
                    }
                    JsonObject intent = new JsonObject(r.getString(0));
                    return succeed(conn, intent, r.getString(2), r.getString(3))
                            .compose(v -> conn.preparedQuery(
                                            "UPDATE sandbox.intents SET status = $2, body = $3 WHERE id = $1")
                                    .execute(Tuple.of(id, intent.getString("status"), intent.encode())))
                            .map(v -> new Answer(200, intent));
                }));
    }

    /** A succeeded intent, rebuilt from its charge; 404 as Stripe's when there is none. */
    private static Future<Answer> succeededIntent(SqlClient conn, String id) {
        return conn.preparedQuery(CHARGE_COLUMNS + " WHERE c.payment_intent = $1 ORDER BY c.created_s LIMIT 1")
                .execute(Tuple.of(id))
                .map(rows -> {
                    if (rows.size() == 0) {
                        return new Answer(
                                404,
                                errorBody(
                                        "invalid_request_error",
                                        "resource_missing",
                                        "No such payment_intent: '" + id + "'",
                                        "intent"));
                    }
                    JsonObject c = chargeJson(rows.iterator().next());
                    return new Answer(
                            200,
                            new JsonObject()
                                    .put("id", id)
                                    .put("object", "payment_intent")
                                    .put("amount", c.getLong("amount"))
                                    .put("amount_received", c.getLong("amount"))
                                    .put("currency", c.getString("currency"))
                                    .put("customer", c.getString("customer"))
                                    .put("payment_method", c.getString("payment_method"))
                                    .put("capture_method", "automatic")
                                    .put("confirmation_method", "automatic")
                                    .put("livemode", false)
                                    .put("created", c.getLong("created"))
                                    .put("metadata", c.getJsonObject("metadata"))
                                    .put("status", "succeeded")
                                    .put("latest_charge", c.getString("id")));
                });
    }

    private void retrieveCharge(RoutingContext ctx) {
        if (injectedFailure(ctx) || refusedQuery(ctx, RETRIEVE_PARAMS)) {
            return;
        }
        String id = ctx.pathParam("id");
        pool.preparedQuery(CHARGE_COLUMNS + " WHERE c.id = $1")
                .execute(Tuple.of(id))
                .map(rows -> rows.size() == 0
                        ? new Answer(
                                404,
                                errorBody(
                                        "invalid_request_error",
                                        "resource_missing",
                                        "No such charge: '" + id + "'",
                                        "id"))
                        : new Answer(200, chargeJson(rows.iterator().next())))
                .onComplete(ar -> send(ctx, ar.succeeded() ? ar.result() : internal(ar.cause()), false, false));
    }

    private static final String CHARGE_COLUMNS = """
            SELECT c.id, c.payment_intent, c.amount, c.currency, c.customer, c.payment_method, c.payment_id,
                   c.refunded, c.created_s, c.metadata, c.amount_refunded
            FROM sandbox.charges c""";

    private static JsonObject chargeJson(Row r) {
        JsonObject meta;
        if (r.getString(9) != null) {
            meta = new JsonObject(r.getString(9));
        } else {
            meta = new JsonObject();
            if (r.getString(6) != null) {
                meta.put("payment_id", r.getString(6));
            }
        }
        long amount = r.getLong(2);
        boolean refunded = r.getBoolean(7);
        return new JsonObject()
                .put("id", r.getString(0))
                .put("object", "charge")
                .put("amount", amount)
                .put("amount_captured", amount)
                .put("amount_refunded", r.getLong(10))
                .put("balance_transaction", "txn_" + r.getString(0))
                .put("captured", true)
                .put("created", r.getLong(8))
                .put("currency", r.getString(3))
                .put("customer", r.getString(4))
                .put("livemode", false)
                .put("metadata", meta)
                .put("paid", true)
                .put("payment_intent", r.getString(1))
                .put("payment_method", r.getString(5))
                .put("refunded", refunded)
                .put("status", "succeeded");
    }

    private Future<Answer> refund(MultiMap form, String key, boolean dropped) {
        Answer refused = refuseUnknown(form, REFUND_PARAMS);
        if (refused != null) {
            return Future.succeededFuture(refused);
        }
        String charge = form.get("charge");
        String intent = form.get("payment_intent");
        if ((charge == null) == (intent == null)) {
            return Future.succeededFuture(
                    new Answer(
                            400,
                            errorBody(
                                    "invalid_request_error",
                                    "parameter_missing",
                                    "One of the following params should be provided for this request: payment_intent or charge.")));
        }
        Future<String> chargeId = charge != null
                ? Future.succeededFuture(charge)
                : pool.preparedQuery(
                                "SELECT id FROM sandbox.charges WHERE payment_intent = $1 ORDER BY created_s DESC LIMIT 1")
                        .execute(Tuple.of(intent))
                        .map(rows ->
                                rows.size() == 0 ? "" : rows.iterator().next().getString(0));
        return chargeId.compose(id -> refundCharge(form, id, key, dropped));
    }

    /**
     * A refund of {@code amount}, or of what remains without it; several per charge, never beyond it:
     * {@code charge_already_refunded} once nothing remains (or no such charge), {@code amount_too_large}
     * over what remains, as Stripe answers.
     */
    private Future<Answer> refundCharge(MultiMap form, String charge, String key, boolean dropped) {
        String re = "re_" + randomId();
        long created = System.currentTimeMillis() / 1000;
        Long asked = null;
        if (form.get("amount") != null) {
            asked = parseLong(form.get("amount"), -1);
            if (asked <= 0) {
                return Future.succeededFuture(new Answer(
                        400,
                        errorBody(
                                "invalid_request_error",
                                "parameter_invalid_integer",
                                "Invalid positive integer",
                                "amount")));
            }
        }
        Long amountAsked = asked;
        return pool.withTransaction(conn -> conn.preparedQuery("""
                        SELECT c.amount, c.amount_refunded
                                 + coalesce((SELECT sum(x.amount) FROM sandbox.refunds x
                                             WHERE x.charge = c.id AND x.status = 'pending'), 0)::bigint,
                               c.currency, c.payment_id, c.payment_method, c.payment_intent
                        FROM sandbox.charges c WHERE c.id = $1 FOR UPDATE""")
                .execute(Tuple.of(charge))
                .compose(rows -> {
                    Row r = rows.size() == 0 ? null : rows.iterator().next();
                    // A pending refund holds its amount: what remains excludes it until it fails.
                    long remaining = r == null ? 0 : r.getLong(0) - r.getLong(1);
                    if (remaining <= 0) {
                        return Future.succeededFuture(new Answer(
                                400,
                                errorBody(
                                        "invalid_request_error",
                                        "charge_already_refunded",
                                        "Charge " + charge + " does not exist or has already been refunded.")));
                    }
                    long amount = amountAsked == null ? remaining : amountAsked;
                    if (amount > remaining) {
                        return Future.succeededFuture(new Answer(
                                400,
                                errorBody(
                                        "invalid_request_error",
                                        "amount_too_large",
                                        "Refund amount is greater than unrefunded amount on charge (" + remaining + ")",
                                        "amount")));
                    }
                    return insertRefund(conn, re, charge, r, amount, form, created)
                            .compose(answer -> answered(conn, key, answer, dropped));
                }));
    }

    /**
     * Stores the refund, answered {@code pending} for a charge made with {@link #PM_REFUND_PENDING},
     * else {@code succeeded} with its money moved at once.
     */
    private static Future<Answer> insertRefund(
            SqlConnection conn, String re, String charge, Row r, long amount, MultiMap form, long created) {
        String status = PM_REFUND_PENDING.equals(r.getString(4)) ? "pending" : "succeeded";
        JsonObject refund = new JsonObject()
                .put("id", re)
                .put("object", "refund")
                .put("charge", charge)
                .put("payment_intent", r.getString(5))
                .put("amount", amount)
                .put("currency", r.getString(2))
                .put("status", status)
                .put("failure_reason", null)
                .put("reason", form.get("reason"))
                .put("created", created)
                .put("metadata", metadata(form));
        return conn.preparedQuery("""
                        INSERT INTO sandbox.refunds (id, charge, payment_intent, amount, currency, status,
                                                     reason, metadata, created_s)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""")
                .execute(Tuple.wrap(new Object[] {
                    re,
                    charge,
                    r.getString(5),
                    amount,
                    r.getString(2),
                    status,
                    form.get("reason"),
                    metadata(form).encode(),
                    created
                }))
                .compose(v -> status.equals("succeeded")
                        ? refunded(
                                conn,
                                re,
                                charge,
                                amount,
                                r.getString(2),
                                r.getString(3),
                                created,
                                form.get("metadata[refund_id]"))
                        : Future.succeededFuture())
                .map(v -> new Answer(200, refund));
    }

    /**
     * Stores {@code answer} as {@code key}'s final answer in the effect's own transaction (no key, no
     * row). The batch's later store writes the same answer again, which changes nothing.
     */
    private static Future<Answer> answered(SqlConnection conn, String key, Answer answer, boolean dropped) {
        if (key == null) {
            return Future.succeededFuture(answer);
        }
        return conn.preparedQuery("""
                        UPDATE sandbox.idempotency SET state = 'done', status = $2, body = $3, dropped = $4
                        WHERE key = $1""")
                .execute(Tuple.of(key, answer.status(), answer.json(), dropped))
                .map(answer);
    }

    /** A refund's money moved: the charge's refunded amount, and the balance transaction the report lists. */
    static Future<Void> refunded(
            SqlConnection conn,
            String re,
            String charge,
            long amount,
            String currency,
            String paymentId,
            long created,
            String refundId) {
        return conn.preparedQuery("""
                                UPDATE sandbox.charges SET amount_refunded = amount_refunded + $2,
                                       refunded = (amount_refunded + $2 = amount) WHERE id = $1""")
                .execute(Tuple.of(charge, amount))
                .compose(u -> conn.preparedQuery("""
                                        INSERT INTO sandbox.balance_transactions (id, type, source, charge, amount, currency, payment_id, created_s, refund_id)
                                        VALUES ('txn_' || $1, 'refund', $1, $2, $3, $4, $5, $6, $7)""")
                        .execute(
                                Tuple.wrap(new Object[] {re, charge, -amount, currency, paymentId, created, refundId})))
                .mapEmpty();
    }

    /** {@code GET /v1/refunds/{id}}: the refund as it stands, pending or decided. */
    private void retrieveRefund(RoutingContext ctx) {
        if (injectedFailure(ctx) || refusedQuery(ctx, RETRIEVE_PARAMS)) {
            return;
        }
        String id = ctx.pathParam("id");
        pool.preparedQuery("""
                        SELECT id, charge, payment_intent, amount, currency, status, failure_reason, reason,
                               metadata, created_s FROM sandbox.refunds WHERE id = $1""")
                .execute(Tuple.of(id))
                .map(rows -> rows.size() == 0
                        ? new Answer(
                                404,
                                errorBody(
                                        "invalid_request_error",
                                        "resource_missing",
                                        "No such refund: '" + id + "'",
                                        "id"))
                        : new Answer(200, refundJson(rows.iterator().next())))
                .onComplete(ar -> send(ctx, ar.succeeded() ? ar.result() : internal(ar.cause()), false, false));
    }

    private static JsonObject refundJson(Row r) {
        return new JsonObject()
                .put("id", r.getString(0))
                .put("object", "refund")
                .put("charge", r.getString(1))
                .put("payment_intent", r.getString(2))
                .put("amount", r.getLong(3))
                .put("currency", r.getString(4))
                .put("status", r.getString(5))
                .put("failure_reason", r.getString(6))
                .put("reason", r.getString(7))
                .put("metadata", r.getString(8) == null ? new JsonObject() : new JsonObject(r.getString(8)))
                .put("created", r.getLong(9));
    }

    /**
     * {@code POST /sandbox/refunds/{id}} with {@code {"status":"succeeded"|"failed"}}: decides a pending
     * refund, Stripe's ({@code re_}) or PayPal's. Succeeded moves its money (and so it enters the
     * settlement report); failed frees its amount. 404 for no pending refund of that id.
     */
    private void settleRefund(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        String asked;
        try {
            asked = ctx.body().asJsonObject().getString("status");
        } catch (RuntimeException e) {
            asked = null;
        }
        String status = asked;
        if (!"succeeded".equals(status) && !"failed".equals(status)) {
            error(ctx, 400, "invalid_request_error", "parameter_invalid", "status must be succeeded or failed");
            return;
        }
        Future<Boolean> settled = id.startsWith("re_") ? settleStripe(id, status) : paypal.settleRefund(id, status);
        settled.onSuccess(found -> {
                    if (found) {
                        ctx.json(new JsonObject().put("id", id).put("status", status));
                    } else {
                        error(ctx, 404, "invalid_request_error", "resource_missing", "No pending refund: '" + id + "'");
                    }
                })
                .onFailure(e -> send(ctx, internal(e), false, false));
    }

    private Future<Boolean> settleStripe(String id, String status) {
        long now = System.currentTimeMillis() / 1000;
        return pool.withTransaction(conn -> conn.preparedQuery("""
                        UPDATE sandbox.refunds SET status = $2,
                               failure_reason = CASE WHEN $2 = 'failed' THEN 'declined' END
                        WHERE id = $1 AND status = 'pending'
                        RETURNING charge, amount, currency,
                                  (SELECT payment_id FROM sandbox.charges c WHERE c.id = charge),
                                  metadata::json ->> 'refund_id'""")
                .execute(Tuple.of(id, status))
                .compose(rows -> {
                    if (rows.size() == 0) {
                        return Future.succeededFuture(false);
                    }
                    Row r = rows.iterator().next();
                    return status.equals("succeeded")
                            ? refunded(
                                            conn,
                                            id,
                                            r.getString(0),
                                            r.getLong(1),
                                            r.getString(2),
                                            r.getString(3),
                                            now,
                                            r.getString(4))
                                    .map(true)
                            : Future.succeededFuture(true);
                }));
    }

    private void listBalanceTransactions(RoutingContext ctx) {
        if (refusedQuery(ctx, LIST_PARAMS)) {
            return;
        }
        MultiMap q = ctx.queryParams();
        long gte = parseLong(q.get("created[gte]"), 0);
        long lte = parseLong(q.get("created[lte]"), Long.MAX_VALUE);
        int limit = (int) Math.max(1, Math.min(LIST_LIMIT_MAX, parseLong(q.get("limit"), 10)));
        String after = q.get("starting_after");
        // Stripe's own clients send expand[0]=..., curl users expand[]=...: both mean the same.
        boolean expand = expansions(q).contains("data.source");
        // Newest first, as Stripe lists; starting_after is the last id of the previous page.
        pool.preparedQuery("""
                        SELECT b.id, b.type, b.source, b.charge, b.amount, b.currency, b.payment_id, b.created_s, c.payment_intent, c.refunded,
                               c.metadata
                        FROM sandbox.balance_transactions b JOIN sandbox.charges c ON c.id = b.charge
                        WHERE b.created_s >= $1 AND b.created_s <= $2
                          AND ($3::text IS NULL OR b.seq < (SELECT seq FROM sandbox.balance_transactions WHERE id = $3))
                        ORDER BY b.seq DESC LIMIT $4""")
                .execute(Tuple.of(gte, lte, after, limit + 1))
                .onSuccess(rows -> {
                    JsonArray data = new JsonArray();
                    int n = 0;
                    for (Row r : rows) {
                        if (n++ == limit) {
                            break;
                        }
                        data.add(balanceTransaction(r, expand));
                    }
                    ctx.json(new JsonObject()
                            .put("object", "list")
                            .put("url", "/v1/balance_transactions")
                            .put("has_more", rows.size() > limit)
                            .put("data", data));
                })
                .onFailure(e -> send(ctx, internal(e), false, false));
    }

    /**
     * One balance transaction as Stripe lists it, from a row of {@link #listBalanceTransactions}'s
     * query; with {@code expand}, its source (the charge or the refund) embedded.
     */
    private static JsonObject balanceTransaction(Row r, boolean expand) {
        JsonObject txn = new JsonObject()
                .put("id", r.getString(0))
                .put("object", "balance_transaction")
                .put("type", r.getString(1))
                .put("amount", r.getLong(4))
                .put("currency", r.getString(5))
                .put("created", r.getLong(7))
                .put("fee", 0)
                .put("net", r.getLong(4))
                .put("status", "available");
        JsonObject meta = new JsonObject();
        if (r.getString(6) != null) {
            meta.put("payment_id", r.getString(6));
        }
        if (!expand) {
            txn.put("source", r.getString(2));
        } else if ("charge".equals(r.getString(1))) {
            txn.put(
                    "source",
                    new JsonObject()
                            .put("id", r.getString(3))
                            .put("object", "charge")
                            .put("amount", r.getLong(4))
                            .put("currency", r.getString(5))
                            .put("payment_intent", r.getString(8))
                            .put("refunded", r.getBoolean(9))
                            .put("metadata", r.getString(10) == null ? meta : new JsonObject(r.getString(10))));
        } else {
            txn.put(
                    "source",
                    new JsonObject()
                            .put("id", r.getString(2))
                            .put("object", "refund")
                            .put("charge", r.getString(3))
                            .put("amount", -r.getLong(4))
                            .put("currency", r.getString(5))
                            .put("metadata", meta));
        }
        return txn;
    }

    /**
     * Charges per key, and the fault record: answers dropped after their effect was stored, and
     * answers replayed under a key, so that a test can tell that answers were really lost and then
     * recovered by a retry under the same key.
     */
    private void chargeStats(RoutingContext ctx) {
        pool.query("""
                        SELECT count(*), count(DISTINCT idempotency_key), coalesce(max(n), 0),
                               coalesce(json_agg(idempotency_key) FILTER (WHERE n > 1), '[]')::text,
                               (SELECT count(*) FROM sandbox.idempotency WHERE dropped),
                               (SELECT count(*) FROM sandbox.idempotency WHERE dropped AND replays > 0),
                               (SELECT coalesce(sum(replays), 0) FROM sandbox.idempotency),
                               (SELECT count(*) FROM sandbox.idempotency WHERE replays > 0)
                        FROM (SELECT idempotency_key, count(*) AS n FROM sandbox.charges GROUP BY 1) k""")
                .execute()
                .onSuccess(rows -> {
                    Row r = rows.iterator().next();
                    ctx.json(new JsonObject()
                            .put("charges", r.getLong(0))
                            .put("keys", r.getLong(1))
                            .put("max_charges_per_key", r.getLong(2))
                            .put("keys_with_more_than_one_charge", new JsonArray(r.getString(3)))
                            .put("answers_dropped", r.getLong(4))
                            .put("answers_dropped_then_replayed", r.getLong(5))
                            .put("replays", r.getLong(6))
                            .put("keys_replayed", r.getLong(7))
                            .put("requests_refused_overloaded", refusedOverloaded));
                })
                .onFailure(e -> send(ctx, internal(e), false, false));
    }

    /**
     * The first parameter {@code allowed} does not name, as Stripe refuses it, or null. An entry
     * ending in {@code []} allows that name with any index or key: {@code metadata[source]},
     * {@code expand[0]}, {@code expand[]}.
     */
    static Answer refuseUnknown(MultiMap params, Set<String> allowed) {
        for (String name : params.names()) {
            int bracket = name.indexOf('[');
            boolean known = allowed.contains(name)
                    || (bracket > 0
                            && name.endsWith("]")
                            && name.indexOf(']') == name.length() - 1
                            && allowed.contains(name.substring(0, bracket) + "[]"));
            if (!known) {
                return new Answer(
                        400,
                        errorBody(
                                "invalid_request_error",
                                "parameter_unknown",
                                "Received unknown parameter: " + name,
                                name));
            }
        }
        return null;
    }

    private static boolean refusedQuery(RoutingContext ctx, Set<String> allowed) {
        Answer refused = refuseUnknown(ctx.queryParams(), allowed);
        if (refused != null) {
            send(ctx, refused, false, false);
        }
        return refused != null;
    }

    /** Every {@code expand[]=} and {@code expand[N]=} value. */
    static List<String> expansions(MultiMap params) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : params) {
            if (e.getKey().matches("expand\\[[0-9]*]")) {
                out.add(e.getValue());
            }
        }
        return out;
    }

    private static Answer conflict() {
        return new Answer(
                409,
                errorBody(
                        "invalid_request_error",
                        "idempotency_key_in_use",
                        "There is currently another in-progress request using this Idempotent Key. Please try again later."));
    }

    private static Answer internal(Throwable e) {
        return new Answer(
                500, errorBody("api_error", null, "sandbox failure: " + (e == null ? "unknown" : e.getMessage())));
    }

    private static void send(RoutingContext ctx, Answer a, boolean replayed, boolean drop) {
        if (drop) {
            // The effect is stored; the client never hears of it.
            ctx.request().connection().close();
            return;
        }
        if (ctx.response().ended()) {
            return;
        }
        ctx.response().setStatusCode(a.status()).putHeader("content-type", "application/json");
        if (replayed) {
            ctx.response().putHeader("Idempotent-Replayed", "true");
        }
        ctx.response().end(a.json());
    }

    private static void error(RoutingContext ctx, int status, String type, String code, String message) {
        send(ctx, new Answer(status, errorBody(type, code, message)), false, false);
    }

    private static JsonObject errorBody(String type, String code, String message) {
        return errorBody(type, code, message, null);
    }

    /** Stripe's error shape; {@code code} and {@code param} only where Stripe sends them. */
    static JsonObject errorBody(String type, String code, String message, String param) {
        JsonObject e = new JsonObject().put("type", type).put("message", message);
        if (code != null) {
            e.put("code", code);
        }
        if (param != null) {
            e.put("param", param);
        }
        return new JsonObject().put("error", e);
    }

    static JsonObject metadata(MultiMap form) {
        JsonObject m = new JsonObject();
        for (Map.Entry<String, String> e : form) {
            if (e.getKey().startsWith("metadata[") && e.getKey().endsWith("]")) {
                m.put(e.getKey().substring(9, e.getKey().length() - 1), e.getValue());
            }
        }
        return m;
    }

    private static String hash(MultiMap form) {
        Map<String, String> sorted = new TreeMap<>();
        form.forEach(e -> sorted.put(e.getKey(), e.getValue()));
        try {
            byte[] d = MessageDigest.getInstance("SHA-256")
                    .digest(sorted.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String randomId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return Long.toString(r.nextLong() & Long.MAX_VALUE, 36) + Long.toString(r.nextLong() & Long.MAX_VALUE, 36);
    }

    private static long parseLong(String s, long dflt) {
        try {
            return s == null ? dflt : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }
}
