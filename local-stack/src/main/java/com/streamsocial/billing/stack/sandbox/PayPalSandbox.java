package com.streamsocial.billing.stack.sandbox;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The sandbox's PayPal subset, beside its Stripe part, on the same server and database (tables
 * {@code sandbox.paypal_*}), with PayPal's shapes and the same fault injection ({@link SandboxFaults}:
 * 429, 500/503 before any effect, answers lost after their effect is stored, latency):
 *
 * <ul>
 *   <li>{@code POST /v1/oauth2/token} (Basic client id and secret, {@code grant_type=client_credentials}):
 *       a bearer token that expires after {@link #tokenTtlS}; an expired or unknown one is 401
 *       {@code invalid_token}.
 *   <li>{@code POST /v2/checkout/orders} ({@code intent: CAPTURE}, one purchase unit with {@code
 *       custom_id} and {@code amount} as PayPal takes it ({@link PayPalSandboxAmounts}: PayPal's own
 *       currency table, no decimals for HUF, JPY and TWD), {@code payment_source.token.id} the payer's
 *       method): 201 {@code APPROVED}; else PayPal's 422 ({@code CURRENCY_NOT_SUPPORTED}, {@code
 *       DECIMALS_NOT_SUPPORTED}, {@code DECIMAL_PRECISION}, ...).
 *   <li>{@code POST /v2/checkout/orders/{id}/capture}: 201 {@code COMPLETED} with one capture; test payers
 *       decline with 422 {@code UNPROCESSABLE_ENTITY}: {@code pm_card_chargeDeclined} with issue {@code
 *       INSTRUMENT_DECLINED}, {@code pm_card_chargeDeclinedInsufficientFunds} with {@code
 *       TRANSACTION_REFUSED}; {@code pm_sandbox_amountMismatch} captures one unit more than ordered. A
 *       second capture of an order is 422 {@code ORDER_ALREADY_CAPTURED}.
 *   <li>{@code GET /v2/checkout/orders/{id}}: the order with its captures.
 *   <li>{@code GET /v1/reporting/transactions?start_date&end_date&page_size&page}: captures ({@code
 *       T0006}, with the order's {@code custom_id} and {@code invoice_id}) and refunds ({@code T1107},
 *       negative, referring to their capture) as Transaction Search lists them, oldest first, {@code
 *       page_size} at most {@link #PAGE_SIZE_MAX}; a query matching more than {@link
 *       #REPORT_LINES_MAX} lines is 400 {@code RESULTSET_TOO_LARGE}, as PayPal's.
 *   <li>{@code POST /v2/payments/captures/{id}/refund}: a refund of {@code amount}, or of what remains
 *       without it, 201 {@code COMPLETED}; several per capture, never beyond it: 422 {@code
 *       CAPTURE_FULLY_REFUNDED} once nothing remains, {@code REFUND_AMOUNT_EXCEEDED} over what remains.
 *       A capture ordered with {@code pm_sandbox_refundPending} gets refunds 201 {@code PENDING}, holding
 *       their amount and absent from Transaction Search until {@code POST /sandbox/refunds/{id}} decides
 *       them ({@code COMPLETED} or {@code FAILED}, the amount free again).
 *   <li>{@code GET /v2/payments/refunds/{id}}: a refund as it stands.
 *   <li>{@code GET /sandbox/paypal/stats}: orders, captures and refunds, per {@code custom_id}, answers
 *       lost, and the 5xx and 429 answers injected.
 * </ul>
 *
 * Idempotency as PayPal's: the first answer under a {@code PayPal-Request-Id}, errors included, is
 * stored and replayed; the same id while its first request runs is 422 {@code
 * PREVIOUS_REQUEST_IN_PROGRESS}. Each request is one transaction (claim, effect and answer, one
 * commit), taken after the injected latency so that a slow answer holds no connection.
 */
final class PayPalSandbox {
    /** The sandbox's client credentials (the processor's defaults while its base URL is loopback). */
    static final String CLIENT_ID = "sandbox-client-id";

    static final String CLIENT_SECRET = "sandbox-client-secret";

    /** Transaction Search's own largest page. */
    static final int PAGE_SIZE_MAX = 500;

    /** Lines one Transaction Search query may match, as PayPal's; past it, 400 {@code RESULTSET_TOO_LARGE}. */
    static final int REPORT_LINES_MAX = 10_000;

    /** Requests with an id running at once at most; past it, 429 with {@code Retry-After}. */
    static final int IN_FLIGHT_REQUESTS_MAX = 10_000;

    /** Characters of a {@code PayPal-Request-Id} at most, as PayPal's. */
    private static final int REQUEST_ID_CHARS_MAX = 108;

    static final String SCHEMA = """
            CREATE SCHEMA IF NOT EXISTS sandbox;
            CREATE TABLE IF NOT EXISTS sandbox.paypal_tokens (
                token      text PRIMARY KEY,
                expires_at timestamptz NOT NULL);
            CREATE TABLE IF NOT EXISTS sandbox.paypal_requests (
                request_id text PRIMARY KEY,
                state      text NOT NULL,
                status     integer,
                body       text,
                dropped    boolean NOT NULL DEFAULT false,
                replays    integer NOT NULL DEFAULT 0,
                created_at timestamptz NOT NULL DEFAULT now());
            CREATE TABLE IF NOT EXISTS sandbox.paypal_orders (
                id             text PRIMARY KEY,
                request_id     text,
                custom_id      text,
                amount         bigint NOT NULL,
                currency       text NOT NULL,
                payment_source text,
                status         text NOT NULL,
                created_s      bigint NOT NULL);
            CREATE INDEX IF NOT EXISTS paypal_orders_by_custom_id ON sandbox.paypal_orders (custom_id);
            CREATE TABLE IF NOT EXISTS sandbox.paypal_captures (
                seq        bigserial PRIMARY KEY,
                id         text NOT NULL UNIQUE,
                order_id   text NOT NULL,
                request_id text,
                custom_id  text,
                amount     bigint NOT NULL,
                currency   text NOT NULL,
                created_s  bigint NOT NULL);
            CREATE INDEX IF NOT EXISTS paypal_captures_by_created ON sandbox.paypal_captures (created_s, seq);
            ALTER TABLE sandbox.paypal_orders ADD COLUMN IF NOT EXISTS invoice_id text;
            ALTER TABLE sandbox.paypal_captures ADD COLUMN IF NOT EXISTS invoice_id text;
            CREATE TABLE IF NOT EXISTS sandbox.paypal_refunds (
                seq        bigserial PRIMARY KEY,
                id         text NOT NULL UNIQUE,
                capture_id text NOT NULL,
                request_id text,
                amount     bigint NOT NULL,
                currency   text NOT NULL,
                created_s  bigint NOT NULL);
            CREATE INDEX IF NOT EXISTS paypal_refunds_by_created ON sandbox.paypal_refunds (created_s, seq);
            -- Partial and repeated refunds of a capture (issue 21 §1): older sandbox databases lose the
            -- one-refund-per-capture constraint.
            ALTER TABLE sandbox.paypal_refunds DROP CONSTRAINT IF EXISTS paypal_refunds_capture_id_key;
            CREATE INDEX IF NOT EXISTS paypal_refunds_by_capture ON sandbox.paypal_refunds (capture_id);
            -- Refunds PayPal leaves PENDING (issue 21): decided later by POST /sandbox/refunds/{id}.
            ALTER TABLE sandbox.paypal_refunds ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'COMPLETED';
            """;

    private final Vertx vertx;
    private final Pool pool;
    private final Supplier<SandboxFaults> faults;
    private volatile long tokenTtlS;
    private volatile boolean holdCaptures;
    private volatile int reportLinesMax = REPORT_LINES_MAX;
    /** Request ids whose first request is running here: a second one meanwhile is told it is in progress. */
    private final java.util.Set<String> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** 5xx answers injected by {@link SandboxFaults#errorRate()}: at the token endpoint, and elsewhere. */
    private final java.util.concurrent.atomic.AtomicLong injected5xxToken =
            new java.util.concurrent.atomic.AtomicLong();

    private final java.util.concurrent.atomic.AtomicLong injected5xxApi = new java.util.concurrent.atomic.AtomicLong();

    /** 429 answers injected by {@link SandboxFaults#tooManyRequestsRate()}. */
    private final java.util.concurrent.atomic.AtomicLong injected429 = new java.util.concurrent.atomic.AtomicLong();

    /** Capture requests held so far by {@link #holdCaptures}: they had no effect and got no answer. */
    private final java.util.concurrent.atomic.AtomicLong capturesHeld = new java.util.concurrent.atomic.AtomicLong();

    PayPalSandbox(Vertx vertx, Pool pool, Supplier<SandboxFaults> faults, long tokenTtlS) {
        this.vertx = vertx;
        this.pool = pool;
        this.faults = faults;
        this.tokenTtlS = tokenTtlS;
    }

    void setReportLinesMax(int linesMax) {
        this.reportLinesMax = linesMax;
    }

    void holdCaptures(boolean hold) {
        this.holdCaptures = hold;
    }

    void setTokenTtlS(long tokenTtlS) {
        this.tokenTtlS = tokenTtlS;
    }

    /** Calls of verify-webhook-signature received so far (a test counts what the gateway's cache saves). */
    private final java.util.concurrent.atomic.AtomicLong webhookVerifications =
            new java.util.concurrent.atomic.AtomicLong();

    void routes(Router router) {
        router.post("/v1/oauth2/token").handler(this::token);
        router.post("/v2/checkout/orders").handler(this::authorised).handler(this::createOrder);
        router.post("/v2/checkout/orders/:id/capture").handler(this::authorised).handler(this::capture);
        router.get("/v2/checkout/orders/:id").handler(this::authorised).handler(this::showOrder);
        router.post("/v2/payments/captures/:id/refund")
                .handler(this::authorised)
                .handler(this::refund);
        router.get("/v2/payments/refunds/:id").handler(this::authorised).handler(this::showRefund);
        router.get("/v1/reporting/transactions").handler(this::authorised).handler(this::transactions);
        router.get("/sandbox/paypal/stats").handler(this::stats);
        // PayPal's webhook verification (issue 21 §2): the sandbox's own signing scheme, SandboxWebhooks.
        router.post("/v1/notifications/verify-webhook-signature")
                .handler(this::authorised)
                .handler(ctx -> {
                    webhookVerifications.incrementAndGet();
                    // The faults apply here too: a slow or failing verification API, as in PayPal's outages.
                    if (!injectedFailure(ctx)) {
                        latency().onComplete(v -> SandboxWebhooks.verifyPayPal(ctx));
                    }
                });
        router.get("/sandbox/paypal/webhook-verifications")
                .handler(ctx -> ctx.json(new JsonObject().put("verifications", webhookVerifications.get())));
    }

    /** An answer: status and JSON text, the same text stored and sent. */
    record Answer(int status, String json) {
        Answer(int status, JsonObject body) {
            this(status, body.encode());
        }
    }

    // ---- OAuth2 ----

    private void token(RoutingContext ctx) {
        if (injectedFailure(ctx)) {
            return;
        }
        String expected = "Basic "
                + Base64.getEncoder()
                        .encodeToString((CLIENT_ID + ":" + CLIENT_SECRET).getBytes(StandardCharsets.UTF_8));
        if (!expected.equals(ctx.request().getHeader("Authorization"))) {
            send(
                    ctx,
                    new Answer(
                            401,
                            new JsonObject()
                                    .put("error", "invalid_client")
                                    .put("error_description", "Client Authentication failed")));
            return;
        }
        if (!"client_credentials".equals(ctx.request().getFormAttribute("grant_type"))) {
            send(
                    ctx,
                    new Answer(
                            400,
                            new JsonObject()
                                    .put("error", "unsupported_grant_type")
                                    .put("error_description", "Grant Type is NULL or unsupported")));
            return;
        }
        long ttl = tokenTtlS;
        String token = "A21AA" + SandboxProvider.randomId() + SandboxProvider.randomId();
        pool.preparedQuery(
                        "INSERT INTO sandbox.paypal_tokens (token, expires_at) VALUES ($1, now() + make_interval(secs => $2))")
                .execute(Tuple.of(token, (double) ttl))
                .onSuccess(v -> send(
                        ctx,
                        new Answer(
                                200,
                                new JsonObject()
                                        .put("scope", "https://uri.paypal.com/services/payments/payment")
                                        .put("access_token", token)
                                        .put("token_type", "Bearer")
                                        .put("app_id", "APP-SANDBOX")
                                        .put("expires_in", ttl)
                                        .put("nonce", Instant.now() + SandboxProvider.randomId()))))
                .onFailure(e -> send(ctx, internal(e)));
    }

    /** A live bearer token, else 401 as PayPal answers an expired or unknown one. */
    private void authorised(RoutingContext ctx) {
        String auth = ctx.request().getHeader("Authorization");
        if (auth == null || !auth.startsWith("Bearer ")) {
            send(ctx, unauthorised());
            return;
        }
        pool.preparedQuery("SELECT 1 FROM sandbox.paypal_tokens WHERE token = $1 AND expires_at > now()")
                .execute(Tuple.of(auth.substring(7)))
                .onSuccess(rows -> {
                    if (rows.size() == 0) {
                        send(ctx, unauthorised());
                    } else {
                        ctx.next();
                    }
                })
                .onFailure(e -> send(ctx, internal(e)));
    }

    private static Answer unauthorised() {
        return new Answer(
                401,
                new JsonObject()
                        .put("error", "invalid_token")
                        .put("error_description", "Access Token not found in cache or expired"));
    }

    // ---- Orders ----

    private void createOrder(RoutingContext ctx) {
        if (injectedFailure(ctx)) {
            return;
        }
        JsonObject body;
        try {
            body = ctx.body().asJsonObject();
        } catch (RuntimeException e) {
            body = null;
        }
        if (body == null) {
            send(
                    ctx,
                    problem(400, "INVALID_REQUEST", "MALFORMED_REQUEST_JSON", "The request JSON is not well formed."));
            return;
        }
        JsonObject order = body;
        idempotent(ctx, conn -> create(conn, order, ctx.request().getHeader("PayPal-Request-Id")));
    }

    private Future<Answer> create(SqlConnection conn, JsonObject body, String requestId) {
        JsonObject unit = body.getValue("purchase_units") instanceof JsonArray units
                        && units.size() == 1
                        && units.getValue(0) instanceof JsonObject u
                ? u
                : null;
        JsonObject amount = unit != null && unit.getValue("amount") instanceof JsonObject a ? a : null;
        String currency = amount != null && amount.getValue("currency_code") instanceof String s ? s : null;
        String value = amount != null && amount.getValue("value") instanceof String s ? s : null;
        if (!"CAPTURE".equals(body.getValue("intent")) || currency == null || value == null) {
            return Future.succeededFuture(problem(
                    400,
                    "INVALID_REQUEST",
                    "MISSING_REQUIRED_PARAMETER",
                    "intent CAPTURE and one purchase unit with amount.currency_code and amount.value are required"));
        }
        // PayPal's own rules, from the sandbox's own copy of its currency table (not the adapter's).
        PayPalSandboxAmounts.Parsed parsed = PayPalSandboxAmounts.parse(value, currency);
        if (parsed instanceof PayPalSandboxAmounts.Problem p) {
            return Future.succeededFuture(problem(p.status(), p.name(), p.issue(), p.message()));
        }
        long units = ((PayPalSandboxAmounts.Units) parsed).units();
        JsonObject source = body.getValue("payment_source") instanceof JsonObject s ? s : null;
        JsonObject token = source != null && source.getValue("token") instanceof JsonObject t ? t : null;
        String method = token != null && token.getValue("id") instanceof String id ? id : null;
        if (method == null) {
            return Future.succeededFuture(problem(
                    422,
                    "UNPROCESSABLE_ENTITY",
                    "PAYMENT_SOURCE_INFO_CANNOT_BE_VERIFIED",
                    "payment_source.token.id is required: this sandbox captures without payer approval"));
        }
        String customId = unit.getValue("custom_id") instanceof String c ? c : null;
        String invoiceId = unit.getValue("invoice_id") instanceof String v ? v : null;
        String id = orderId();
        long created = Instant.now().getEpochSecond();
        JsonObject order = orderJson(id, "APPROVED", customId, currency, value, null);
        return conn.preparedQuery("""
                        INSERT INTO sandbox.paypal_orders (id, request_id, custom_id, amount, currency, payment_source, status, created_s, invoice_id)
                        VALUES ($1, $2, $3, $4, $5, $6, 'APPROVED', $7, $8)""")
                .execute(
                        Tuple.wrap(new Object[] {id, requestId, customId, units, currency, method, created, invoiceId}))
                .map(v -> new Answer(201, order));
    }

    private void capture(RoutingContext ctx) {
        if (holdCaptures) {
            // No effect and no answer: the client's timeout ends it, and closes the connection.
            capturesHeld.incrementAndGet();
            return;
        }
        if (injectedFailure(ctx)) {
            return;
        }
        String id = ctx.pathParam("id");
        idempotent(ctx, conn -> captureOrder(conn, id, ctx.request().getHeader("PayPal-Request-Id")));
    }

    private Future<Answer> captureOrder(SqlConnection conn, String id, String requestId) {
        return conn.preparedQuery(
                        "SELECT custom_id, amount, currency, payment_source, status FROM sandbox.paypal_orders WHERE id = $1 FOR UPDATE")
                .execute(Tuple.of(id))
                .compose(rows -> {
                    if (rows.size() == 0) {
                        return Future.succeededFuture(notFound(id));
                    }
                    Row r = rows.iterator().next();
                    String customId = r.getString(0);
                    long amount = r.getLong(1);
                    String currency = r.getString(2);
                    String method = r.getString(3);
                    if ("COMPLETED".equals(r.getString(4))) {
                        return Future.succeededFuture(problem(
                                422,
                                "UNPROCESSABLE_ENTITY",
                                "ORDER_ALREADY_CAPTURED",
                                "Order already captured. If 'intent=CAPTURE' only one capture per order is allowed."));
                    }
                    String decline = switch (method) {
                        case "pm_card_chargeDeclined" -> "INSTRUMENT_DECLINED";
                        case "pm_card_chargeDeclinedInsufficientFunds" -> "TRANSACTION_REFUSED";
                        default -> null;
                    };
                    if (decline != null) {
                        return Future.succeededFuture(problem(
                                422,
                                "UNPROCESSABLE_ENTITY",
                                decline,
                                "The instrument presented was either declined by the processor or bank."));
                    }
                    long captured = SandboxProvider.PM_AMOUNT_MISMATCH.equals(method) ? amount + 1 : amount;
                    String value = decimal(captured, currency);
                    String captureId = "CAP" + SandboxProvider.randomId().toUpperCase(Locale.ROOT);
                    long created = Instant.now().getEpochSecond();
                    JsonObject capture = new JsonObject()
                            .put("id", captureId)
                            .put("status", "COMPLETED")
                            .put(
                                    "amount",
                                    new JsonObject()
                                            .put("currency_code", currency)
                                            .put("value", value))
                            .put("final_capture", true)
                            .put("create_time", Instant.ofEpochSecond(created).toString());
                    if (customId != null) {
                        capture.put("custom_id", customId);
                    }
                    JsonObject order =
                            orderJson(id, "COMPLETED", customId, currency, decimal(amount, currency), capture);
                    return conn.preparedQuery("""
                                    INSERT INTO sandbox.paypal_captures (id, order_id, request_id, custom_id, amount, currency, created_s, invoice_id)
                                    SELECT $1, $2, $3, $4, $5, $6, $7, invoice_id FROM sandbox.paypal_orders WHERE id = $2""")
                            .execute(Tuple.wrap(
                                    new Object[] {captureId, id, requestId, customId, captured, currency, created}))
                            .compose(v -> conn.preparedQuery(
                                            "UPDATE sandbox.paypal_orders SET status = 'COMPLETED' WHERE id = $1")
                                    .execute(Tuple.of(id)))
                            .map(v -> new Answer(201, order));
                });
    }

    private void showOrder(RoutingContext ctx) {
        if (injectedFailure(ctx)) {
            return;
        }
        String id = ctx.pathParam("id");
        pool.preparedQuery("""
                        SELECT o.custom_id, o.amount, o.currency, o.status, c.id, c.amount, c.created_s
                        FROM sandbox.paypal_orders o LEFT JOIN sandbox.paypal_captures c ON c.order_id = o.id
                        WHERE o.id = $1""")
                .execute(Tuple.of(id))
                .onSuccess(rows -> {
                    if (rows.size() == 0) {
                        send(ctx, notFound(id));
                        return;
                    }
                    Row r = rows.iterator().next();
                    String currency = r.getString(2);
                    JsonObject capture = r.getString(4) == null
                            ? null
                            : new JsonObject()
                                    .put("id", r.getString(4))
                                    .put("status", "COMPLETED")
                                    .put(
                                            "amount",
                                            new JsonObject()
                                                    .put("currency_code", currency)
                                                    .put("value", decimal(r.getLong(5), currency)))
                                    .put("custom_id", r.getString(0))
                                    .put(
                                            "create_time",
                                            Instant.ofEpochSecond(r.getLong(6)).toString());
                    send(
                            ctx,
                            new Answer(
                                    200,
                                    orderJson(
                                            id,
                                            r.getString(3),
                                            r.getString(0),
                                            currency,
                                            decimal(r.getLong(1), currency),
                                            capture)));
                })
                .onFailure(e -> send(ctx, internal(e)));
    }

    private static JsonObject orderJson(
            String id, String status, String customId, String currency, String value, JsonObject capture) {
        JsonObject unit = new JsonObject()
                .put("reference_id", "default")
                .put("amount", new JsonObject().put("currency_code", currency).put("value", value));
        if (customId != null) {
            unit.put("custom_id", customId);
        }
        if (capture != null) {
            unit.put("payments", new JsonObject().put("captures", new JsonArray().add(capture)));
        }
        return new JsonObject()
                .put("id", id)
                .put("intent", "CAPTURE")
                .put("status", status)
                .put("purchase_units", new JsonArray().add(unit))
                .put(
                        "links",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("href", "/v2/checkout/orders/" + id)
                                        .put("rel", "self")
                                        .put("method", "GET")));
    }

    // ---- Refunds ----

    private void refund(RoutingContext ctx) {
        if (injectedFailure(ctx)) {
            return;
        }
        String id = ctx.pathParam("id");
        JsonObject body;
        try {
            body = ctx.body() == null || ctx.body().length() == 0
                    ? new JsonObject()
                    : ctx.body().asJsonObject();
        } catch (RuntimeException e) {
            body = null;
        }
        if (body == null) {
            send(
                    ctx,
                    problem(400, "INVALID_REQUEST", "MALFORMED_REQUEST_JSON", "The request JSON is not well formed."));
            return;
        }
        JsonObject amount = body.getValue("amount") instanceof JsonObject a ? a : null;
        idempotent(ctx, conn -> refundCapture(conn, id, ctx.request().getHeader("PayPal-Request-Id"), amount));
    }

    /**
     * A refund of the capture, of {@code asked} (PayPal's {@code amount}) or, without it, of what
     * remains; several per capture, never more than was captured: 422 {@code CAPTURE_FULLY_REFUNDED}
     * once nothing remains, {@code REFUND_AMOUNT_EXCEEDED} for more than remains.
     */
    private Future<Answer> refundCapture(SqlConnection conn, String captureId, String requestId, JsonObject asked) {
        return conn.preparedQuery("""
                        SELECT c.amount, c.currency,
                               coalesce((SELECT sum(r.amount) FROM sandbox.paypal_refunds r
                                         WHERE r.capture_id = c.id AND r.status <> 'FAILED'), 0)::bigint,
                               (SELECT o.payment_source FROM sandbox.paypal_orders o WHERE o.id = c.order_id)
                        FROM sandbox.paypal_captures c WHERE c.id = $1 FOR UPDATE""").execute(Tuple.of(captureId)).compose(rows -> {
            if (rows.size() == 0) {
                return Future.succeededFuture(notFound(captureId));
            }
            Row r = rows.iterator().next();
            long remaining = r.getLong(0) - r.getLong(2);
            if (remaining <= 0) {
                return Future.succeededFuture(problem(
                        422,
                        "UNPROCESSABLE_ENTITY",
                        "CAPTURE_FULLY_REFUNDED",
                        "The capture has already been fully refunded."));
            }
            String currency = r.getString(1);
            long units = remaining;
            if (asked != null) {
                String value = asked.getValue("value") instanceof String v ? v : null;
                if (!currency.equals(asked.getValue("currency_code"))) {
                    return Future.succeededFuture(problem(
                            422,
                            "UNPROCESSABLE_ENTITY",
                            "CURRENCY_MISMATCH",
                            "The refund's currency is not the capture's."));
                }
                PayPalSandboxAmounts.Parsed parsed = PayPalSandboxAmounts.parse(value, currency);
                if (parsed instanceof PayPalSandboxAmounts.Problem p) {
                    return Future.succeededFuture(problem(p.status(), p.name(), p.issue(), p.message()));
                }
                units = ((PayPalSandboxAmounts.Units) parsed).units();
                if (units > remaining) {
                    return Future.succeededFuture(
                            problem(
                                    422,
                                    "UNPROCESSABLE_ENTITY",
                                    "REFUND_AMOUNT_EXCEEDED",
                                    "The refund amount must be less than or equal to the capture amount that has not yet been refunded."));
                }
            }
            // A pending refund holds its amount (what remains above excludes only failed ones).
            String status = SandboxProvider.PM_REFUND_PENDING.equals(r.getString(3)) ? "PENDING" : "COMPLETED";
            return insertRefund(conn, captureId, requestId, units, currency, status);
        });
    }

    private static Future<Answer> insertRefund(
            SqlConnection conn, String captureId, String requestId, long amount, String currency, String status) {
        String refundId = "REF" + SandboxProvider.randomId().toUpperCase(Locale.ROOT);
        long created = Instant.now().getEpochSecond();
        return conn.preparedQuery("""
                                    INSERT INTO sandbox.paypal_refunds (id, capture_id, request_id, amount, currency, created_s, status)
                                    VALUES ($1, $2, $3, $4, $5, $6, $7)""")
                .execute(Tuple.wrap(new Object[] {refundId, captureId, requestId, amount, currency, created, status}))
                .map(v -> new Answer(201, refundJson(refundId, captureId, amount, currency, status, created)));
    }

    /** A refund as PayPal shows it ({@code POST .../refund} and {@code GET /v2/payments/refunds/{id}}). */
    private static JsonObject refundJson(
            String refundId, String captureId, long amount, String currency, String status, long created) {
        JsonObject refund = new JsonObject()
                .put("id", refundId)
                .put("status", status)
                .put("amount", new JsonObject().put("currency_code", currency).put("value", decimal(amount, currency)))
                .put("create_time", Instant.ofEpochSecond(created).toString())
                .put("update_time", Instant.ofEpochSecond(created).toString())
                .put(
                        "links",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("href", "/v2/payments/refunds/" + refundId)
                                        .put("rel", "self")
                                        .put("method", "GET"))
                                .add(new JsonObject()
                                        .put("href", "/v2/payments/captures/" + captureId)
                                        .put("rel", "up")
                                        .put("method", "GET")));
        if ("PENDING".equals(status)) {
            refund.put("status_details", new JsonObject().put("reason", "ECHECK"));
        }
        return refund;
    }

    /** {@code GET /v2/payments/refunds/{id}}: the refund as it stands, pending or decided. */
    private void showRefund(RoutingContext ctx) {
        if (injectedFailure(ctx)) {
            return;
        }
        String id = ctx.pathParam("id");
        pool.preparedQuery(
                        "SELECT capture_id, amount, currency, status, created_s FROM sandbox.paypal_refunds WHERE id = $1")
                .execute(Tuple.of(id))
                .map(rows -> {
                    if (rows.size() == 0) {
                        return notFound(id);
                    }
                    Row r = rows.iterator().next();
                    return new Answer(
                            200,
                            refundJson(id, r.getString(0), r.getLong(1), r.getString(2), r.getString(3), r.getLong(4)));
                })
                .onComplete(ar -> send(ctx, ar.succeeded() ? ar.result() : internal(ar.cause())));
    }

    /**
     * Decides a pending refund ({@code succeeded}: COMPLETED, listed by Transaction Search from then
     * on; {@code failed}: FAILED, its amount free again); false when no pending refund has that id.
     */
    Future<Boolean> settleRefund(String id, String status) {
        return pool.preparedQuery("""
                        UPDATE sandbox.paypal_refunds SET status = $2, created_s = $3
                        WHERE id = $1 AND status = 'PENDING' RETURNING id""")
                .execute(Tuple.of(
                        id,
                        status.equals("succeeded") ? "COMPLETED" : "FAILED",
                        Instant.now().getEpochSecond()))
                .map(rows -> rows.size() > 0);
    }

    // ---- Transaction Search ----

    /**
     * Captures (T0006, paid in) and refunds (T1107, paid out: negative, referring to their capture by
     * {@code TXN}) created in [$1, $2] seconds, in the order they happened.
     */
    private static final String REPORT_LINES = """
            SELECT 'T0006' AS code, c.id, c.order_id AS ref, 'ODR' AS ref_type, c.custom_id, c.invoice_id, c.amount,
                   c.currency, c.created_s, 0 AS kind, c.seq
            FROM sandbox.paypal_captures c WHERE c.created_s >= $1 AND c.created_s <= $2
            UNION ALL
            SELECT 'T1107', r.id, r.capture_id, 'TXN', c.custom_id, c.invoice_id, -r.amount, r.currency, r.created_s, 1,
                   r.seq
            FROM sandbox.paypal_refunds r JOIN sandbox.paypal_captures c ON c.id = r.capture_id
            WHERE r.created_s >= $1 AND r.created_s <= $2 AND r.status = 'COMPLETED'""";

    private void transactions(RoutingContext ctx) {
        if (injectedFailure(ctx)) {
            return;
        }
        Instant start;
        Instant end;
        try {
            start = date(ctx.queryParams().get("start_date"));
            end = date(ctx.queryParams().get("end_date"));
        } catch (DateTimeParseException | NullPointerException e) {
            send(
                    ctx,
                    problem(
                            400,
                            "INVALID_REQUEST",
                            "INVALID_PARAMETER_SYNTAX",
                            "start_date and end_date are required, as RFC 3339 date-times"));
            return;
        }
        if (end.isBefore(start) || end.getEpochSecond() - start.getEpochSecond() > 31L * 24 * 3600) {
            send(
                    ctx,
                    problem(400, "INVALID_REQUEST", "INVALID_PARAMETER_VALUE", "the date range must be 0 to 31 days"));
            return;
        }
        long pageSize =
                Math.max(1, Math.min(PAGE_SIZE_MAX, parseLong(ctx.queryParams().get("page_size"), 100)));
        long page = Math.max(1, parseLong(ctx.queryParams().get("page"), 1));
        reportLines(start, end, pageSize, page)
                .onSuccess(rows -> send(ctx, reportPage(rows, start, end, pageSize, page)))
                .onFailure(e -> send(ctx, internal(e)));
    }

    /**
     * One page of the report's lines, each row with the count of all lines in its last column; a page
     * past the end is one row of nulls with that count.
     */
    private Future<RowSet<Row>> reportLines(Instant start, Instant end, long pageSize, long page) {
        return pool.preparedQuery("SELECT l.*, count(*) OVER () FROM (" + REPORT_LINES
                        + ") l ORDER BY l.created_s, l.kind, l.seq LIMIT $3 OFFSET $4")
                .execute(Tuple.of(start.getEpochSecond(), end.getEpochSecond(), pageSize, (page - 1) * pageSize))
                .compose(rows -> rows.size() > 0 || page == 1
                        ? Future.succeededFuture(rows)
                        // A page past the end still says how many there are.
                        : pool.preparedQuery("SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
                                        + " count(*) FROM (" + REPORT_LINES + ") l")
                                .execute(Tuple.of(start.getEpochSecond(), end.getEpochSecond()))
                                .map(r -> r));
    }

    /** Transaction Search's answer for one page: its lines, or RESULTSET_TOO_LARGE as PayPal says it. */
    private Answer reportPage(RowSet<Row> rows, Instant start, Instant end, long pageSize, long page) {
        JsonArray details = new JsonArray();
        long total = 0;
        for (Row r : rows) {
            total = r.getLong(11);
        }
        if (total > reportLinesMax) {
            return new Answer(
                    400,
                    new JsonObject()
                            .put("name", "RESULTSET_TOO_LARGE")
                            .put(
                                    "message",
                                    "Result set size is greater than the maximum limit. Change the filter criteria and try again.")
                            .put("debug_id", SandboxProvider.randomId()));
        }
        for (Row r : rows) {
            if (r.getString(1) == null) {
                continue;
            }
            details.add(new JsonObject().put("transaction_info", transactionInfo(r)));
        }
        long pages = (total + pageSize - 1) / pageSize;
        return new Answer(
                200,
                new JsonObject()
                        .put("transaction_details", details)
                        .put("account_number", "SANDBOXMERCHANT")
                        .put("start_date", start.toString())
                        .put("end_date", end.toString())
                        .put("last_refreshed_datetime", Instant.now().toString())
                        .put("page", page)
                        .put("total_items", total)
                        .put("total_pages", pages));
    }

    /** One report line as Transaction Search lists it: a capture (T0006) or a refund (T1107). */
    private static JsonObject transactionInfo(Row r) {
        String currency = r.getString(7);
        String at = PAYPAL_DATE.format(Instant.ofEpochSecond(r.getLong(8)));
        JsonObject info = new JsonObject()
                .put("paypal_account_id", "SANDBOXMERCHANT")
                .put("transaction_id", r.getString(1))
                .put("paypal_reference_id", r.getString(2))
                .put("paypal_reference_id_type", r.getString(3))
                .put("transaction_event_code", r.getString(0))
                .put("transaction_initiation_date", at)
                .put("transaction_updated_date", at)
                .put(
                        "transaction_amount",
                        new JsonObject().put("currency_code", currency).put("value", decimal(r.getLong(6), currency)))
                .put("transaction_status", "S");
        if (r.getString(4) != null) {
            info.put("custom_field", r.getString(4));
        }
        if (r.getString(5) != null) {
            info.put("invoice_id", r.getString(5));
        }
        return info;
    }

    private void stats(RoutingContext ctx) {
        pool.query("""
                        SELECT (SELECT count(*) FROM sandbox.paypal_orders),
                               (SELECT count(*) FROM sandbox.paypal_captures),
                               (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM sandbox.paypal_orders GROUP BY custom_id) o),
                               (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM sandbox.paypal_captures GROUP BY custom_id) c),
                               (SELECT coalesce(json_agg(custom_id), '[]')::text FROM
                                   (SELECT custom_id FROM sandbox.paypal_captures GROUP BY 1 HAVING count(*) > 1) d),
                               (SELECT count(*) FROM sandbox.paypal_requests WHERE dropped),
                               (SELECT count(*) FROM sandbox.paypal_requests WHERE dropped AND replays > 0),
                               (SELECT coalesce(sum(replays), 0) FROM sandbox.paypal_requests),
                               (SELECT count(*) FROM sandbox.paypal_refunds)""")
                .execute()
                .onSuccess(rows -> {
                    Row r = rows.iterator().next();
                    ctx.json(new JsonObject()
                            .put("orders", r.getLong(0))
                            .put("captures", r.getLong(1))
                            .put("max_orders_per_custom_id", r.getLong(2))
                            .put("max_captures_per_custom_id", r.getLong(3))
                            .put("custom_ids_with_more_than_one_capture", new JsonArray(r.getString(4)))
                            .put("answers_dropped", r.getLong(5))
                            .put("answers_dropped_then_replayed", r.getLong(6))
                            .put("replays", r.getLong(7))
                            .put("refunds", r.getLong(8))
                            .put("captures_held", capturesHeld.get())
                            .put("injected_5xx_token", injected5xxToken.get())
                            .put("injected_5xx_api", injected5xxApi.get())
                            .put("injected_429", injected429.get()));
                })
                .onFailure(e -> send(ctx, internal(e)));
    }

    // ---- Idempotency by PayPal-Request-Id ----

    /**
     * The provider's latency first, holding nothing; then, in one transaction, claims the request id,
     * runs {@code work} and stores its answer under the id, and commits; then sends the answer (or
     * loses it, as a fault). A request id already answered gets that answer again; one whose first
     * request is still running here gets 422 {@code PREVIOUS_REQUEST_IN_PROGRESS}, as PayPal may
     * answer. Without an id, the work runs once per request, as PayPal's.
     */
    private void idempotent(RoutingContext ctx, Function<SqlConnection, Future<Answer>> work) {
        String requestId = ctx.request().getHeader("PayPal-Request-Id");
        boolean drop = ThreadLocalRandom.current().nextDouble() < faults.get().dropResponseRate();
        if (requestId == null || requestId.isEmpty()) {
            latency()
                    .compose(v -> pool.withTransaction(work::apply))
                    .onComplete(ar -> send(ctx, ar.succeeded() ? ar.result() : internal(ar.cause()), drop));
            return;
        }
        if (requestId.length() > REQUEST_ID_CHARS_MAX) {
            send(ctx, problem(400, "INVALID_REQUEST", "INVALID_PARAMETER_VALUE", "PayPal-Request-Id is too long"));
            return;
        }
        if (inFlight.size() >= IN_FLIGHT_REQUESTS_MAX) {
            ctx.response().putHeader("Retry-After", "1");
            send(ctx, problem(429, "RATE_LIMIT_REACHED", "RATE_LIMIT_REACHED", "Too many requests in flight."));
            return;
        }
        if (!inFlight.add(requestId)) {
            send(ctx, inProgress());
            return;
        }
        latency()
                .compose(v -> pool.withTransaction(conn -> conn.preparedQuery(CLAIM)
                        .execute(Tuple.of(requestId))
                        .compose(claimed -> claimed.size() == 1
                                ? work.apply(conn)
                                        .compose(answer -> conn.preparedQuery("""
                                                        UPDATE sandbox.paypal_requests SET state = 'done', status = $2, body = $3, dropped = $4
                                                        WHERE request_id = $1""")
                                                .execute(Tuple.of(requestId, answer.status(), answer.json(), drop))
                                                .map(new Sent(answer, drop)))
                                : conn.preparedQuery("""
                                                UPDATE sandbox.paypal_requests SET replays = replays + 1
                                                WHERE request_id = $1 AND state = 'done' RETURNING status, body""")
                                        .execute(Tuple.of(requestId))
                                        .map(rows -> rows.size() == 0
                                                ? new Sent(inProgress(), false)
                                                : new Sent(
                                                        new Answer(
                                                                rows.iterator()
                                                                        .next()
                                                                        .getInteger(0),
                                                                rows.iterator()
                                                                        .next()
                                                                        .getString(1)),
                                                        false)))))
                .onComplete(ar -> {
                    inFlight.remove(requestId);
                    if (ar.succeeded()) {
                        send(ctx, ar.result().answer(), ar.result().drop());
                    } else {
                        // Rolled back: nothing happened, and the id is free again.
                        send(ctx, internal(ar.cause()));
                    }
                });
    }

    /**
     * Claims a request id inside the request's transaction: a new row, or a row a crash left {@code
     * in_progress} (an earlier sandbox committed claims apart from their work; this one never does).
     * A concurrent claim of the same id waits on the key until this transaction ends.
     */
    private static final String CLAIM = """
            INSERT INTO sandbox.paypal_requests AS r (request_id, state) VALUES ($1, 'in_progress')
            ON CONFLICT (request_id) DO UPDATE SET state = 'in_progress', status = NULL, body = NULL,
                dropped = false, replays = 0, created_at = now()
            WHERE r.state = 'in_progress'
            RETURNING request_id""";

    /** An answer, and whether to lose it after its effect is committed. */
    private record Sent(Answer answer, boolean drop) {}

    private static Answer inProgress() {
        return problem(
                422,
                "UNPROCESSABLE_ENTITY",
                "PREVIOUS_REQUEST_IN_PROGRESS",
                "A previous request on this resource is currently in progress."
                        + " Please wait for some time and try again.");
    }

    // ---- Faults and answers ----

    private boolean injectedFailure(RoutingContext ctx) {
        SandboxFaults f = faults.get();
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        if (rnd.nextDouble() < f.tooManyRequestsRate()) {
            injected429.incrementAndGet();
            ctx.response().putHeader("Retry-After", "1");
            send(
                    ctx,
                    problem(
                            429,
                            "RATE_LIMIT_REACHED",
                            "RATE_LIMIT_REACHED",
                            "Too many requests. Blocked due to rate limiting."));
            return true;
        }
        if (rnd.nextDouble() < f.errorRate()) {
            int status = f.errorStatus() != 0 ? f.errorStatus() : rnd.nextBoolean() ? 500 : 503;
            // Counted, so that a test can assert its faults fired and were each retried.
            (ctx.request().path().startsWith("/v1/oauth2/") ? injected5xxToken : injected5xxApi).incrementAndGet();
            send(
                    ctx,
                    problem(
                            status,
                            status == 503 ? "SERVICE_UNAVAILABLE" : "INTERNAL_SERVER_ERROR",
                            null,
                            "An internal server error has occurred."));
            return true;
        }
        return false;
    }

    private Future<Void> latency() {
        SandboxFaults f = faults.get();
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

    /** PayPal's error shape: name, message, debug_id and the issue in details. */
    static Answer problem(int status, String name, String issue, String message) {
        JsonObject body =
                new JsonObject().put("name", name).put("message", message).put("debug_id", SandboxProvider.randomId());
        if (issue != null) {
            body.put(
                    "details",
                    new JsonArray().add(new JsonObject().put("issue", issue).put("description", message)));
        }
        return new Answer(status, body);
    }

    private static Answer notFound(String id) {
        return problem(
                404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", "Specified resource ID " + id + " does not exist.");
    }

    private static Answer internal(Throwable e) {
        return problem(
                500, "INTERNAL_SERVER_ERROR", null, "sandbox failure: " + (e == null ? "unknown" : e.getMessage()));
    }

    private static void send(RoutingContext ctx, Answer a) {
        send(ctx, a, false);
    }

    private static void send(RoutingContext ctx, Answer a, boolean drop) {
        if (drop) {
            // The effect is stored with its answer; the client never hears of it.
            ctx.request().connection().close();
            return;
        }
        if (ctx.response().ended()) {
            return;
        }
        ctx.response()
                .setStatusCode(a.status())
                .putHeader("content-type", "application/json")
                .end(a.json());
    }

    /** Stored units (the currency's smallest unit PayPal takes) as PayPal writes them. */
    private static String decimal(long units, String currency) {
        return PayPalSandboxAmounts.format(units, currency);
    }

    private static String orderId() {
        String s = SandboxProvider.randomId().toUpperCase(Locale.ROOT);
        return s.length() > 17 ? s.substring(0, 17) : s;
    }

    /** Transaction Search's own date shape: {@code 2026-11-27T08:00:00+0000}. */
    private static final java.time.format.DateTimeFormatter PAYPAL_DATE = java.time.format.DateTimeFormatter.ofPattern(
                    "yyyy-MM-dd'T'HH:mm:ssZ")
            .withZone(java.time.ZoneOffset.UTC);

    /** A query's date: RFC 3339 ({@code ...Z}, {@code ...+00:00}) or PayPal's {@code ...+0000}. */
    private static Instant date(String s) {
        try {
            return java.time.OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            return java.time.OffsetDateTime.parse(s, PAYPAL_DATE).toInstant();
        }
    }

    private static long parseLong(String s, long dflt) {
        try {
            return s == null ? dflt : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }
}
