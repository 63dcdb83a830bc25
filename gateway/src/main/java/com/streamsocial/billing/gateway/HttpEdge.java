package com.streamsocial.billing.gateway;

import com.streamsocial.billing.gateway.http.CustomerRegistration;
import com.streamsocial.billing.gateway.http.HeaderCheck;
import com.streamsocial.billing.gateway.http.Problem;
import com.streamsocial.billing.gateway.http.ProblemType;
import com.streamsocial.billing.gateway.http.ReadDeadline;
import com.streamsocial.billing.gateway.http.RefundRequestValidator;
import com.streamsocial.billing.gateway.http.RequestValidator;
import com.streamsocial.billing.gateway.http.TlsPolicy;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One lane's HTTP edge, before any route's work: the connection caps, the read deadlines of heads
 * and bodies, the header check, the refusal of new work while draining or unsure of the lease, the
 * codec's refusals and the problem+json writer. Its methods run on the lane's event loop.
 */
final class HttpEdge {
    /** How long a refused connection stays open after its answer, at most, before it is closed. */
    static final long REFUSAL_LINGER_MS = 500;

    private static final String BODY_TIMER = "billing.bodyTimer";

    private final Vertx vertx;
    private final Context context;
    private final GatewayConfig config;
    private final GatewayMeters metrics;
    private final Health health;
    private final GatewayVerticle.Limits limits;

    /** Each open connection's read deadline: every request's head must arrive in time (slowloris). */
    private final Map<HttpConnection, ReadDeadline> deadlines = new IdentityHashMap<>();

    /**
     * Connections whose current answer ends them: a request pipelined behind it (a smuggled one, after
     * a refused header block or a chunked body) is never routed, only the connection closed.
     */
    private final Set<HttpConnection> closing = Collections.newSetFromMap(new IdentityHashMap<>());

    HttpEdge(
            Vertx vertx,
            Context context,
            GatewayConfig config,
            GatewayMeters metrics,
            Health health,
            GatewayVerticle.Limits limits) {
        this.vertx = vertx;
        this.context = context;
        this.config = config;
        this.metrics = metrics;
        this.health = health;
        this.limits = limits;
    }

    /**
     * The listener's options: the shared port, the request line's and header block's limits (beyond,
     * 414 and 431 by {@link #invalidRequest}), the idle timeout, HTTP/1.1 only, and TLS from the PEM
     * files when configured ({@link TlsPolicy}'s protocols and suites; a bad file fails the start).
     */
    static HttpServerOptions serverOptions(GatewayConfig config) {
        // No WebSocket on this API: without compression support Netty's WebSocket extension handler
        // leaves the pipeline, where it inspected every response (0.5% of the event loops' samples).
        HttpServerOptions o = new HttpServerOptions()
                .setPerMessageWebSocketCompressionSupported(false)
                .setPerFrameWebSocketCompressionSupported(false);
        if (config.tls()) {
            o.setSsl(true)
                    .setKeyCertOptions(new PemKeyCertOptions()
                            .setCertPath(config.tlsCertPath())
                            .setKeyPath(config.tlsKeyPath()));
            // TLS 1.2 and 1.3 with forward-secret AEAD suites only, whatever the JDK allows.
            TlsPolicy.apply(o);
        }
        return o.setHost(config.httpHost())
                .setPort(config.httpPort())
                // Longest request line and header block; beyond, 414 and 431 (invalidRequest).
                .setMaxInitialLineLength(config.httpRequestLineBytesMax())
                .setMaxHeaderSize(config.httpHeaderBytesMax())
                .setIdleTimeout(config.httpIdleTimeoutS())
                // HTTP/1.1 only: an h2c upgrade would swap the connection object under
                // the connection cap and the first-request deadline.
                .setHttp2ClearTextEnabled(false);
    }

    /**
     * Counts the connection against {@code http.connectionsMax} and {@code
     * http.connectionsPerAddressMax} (closing it at once beyond either cap, counted), and gives it a
     * {@link ReadDeadline}: the head of its first request, and of every later one on the kept-alive
     * connection, must arrive within {@code http.requestReadTimeoutMs} of its first byte, or the
     * connection closes; a client sending its headers a byte at a time (slowloris) cannot hold it.
     */
    void connected(HttpConnection conn) {
        int open = limits.connections().incrementAndGet();
        String address = address(conn);
        boolean addressFits = limits.perAddress().open(address);
        conn.closeHandler(v -> {
            limits.connections().decrementAndGet();
            limits.perAddress().closed(address);
            ReadDeadline deadline = deadlines.remove(conn);
            if (deadline != null) {
                deadline.closed();
            }
            closing.remove(conn);
        });
        if (open > config.httpConnectionsMax()) {
            metrics.connectionsRefused.increment();
            conn.close();
            return;
        }
        if (!addressFits) {
            metrics.connectionsAddressRefused.increment();
            conn.close();
            return;
        }
        ReadDeadline deadline =
                new ReadDeadline(context, conn, config.httpRequestReadTimeoutMs(), metrics.readTimeouts::increment);
        deadlines.put(conn, deadline);
        // Netty's pipeline, ahead of the HTTP codec: the first byte of a later request starts its
        // deadline (Vert.x has no hook for it). Without access to it, only the first request has one.
        if (conn instanceof io.vertx.core.net.impl.ConnectionBase base) {
            base.channel().pipeline().addFirst("billing-read-deadline", deadline);
        }
    }

    /** Every request's entry: its head arrived in time; one pipelined behind a closing answer is dropped. */
    Handler<HttpServerRequest> requestArrives(Router router) {
        return request -> {
            ReadDeadline deadline = deadlines.get(request.connection());
            if (deadline != null) {
                deadline.routed(request.response());
            }
            if (closing.contains(request.connection())) {
                request.connection().close();
                return;
            }
            router.handle(request);
        };
    }

    /**
     * The filters every request passes before any route's work, in order: the Connection header while
     * draining, the header check, and for {@code /v1/*} the refusal of new work.
     */
    void mountFilters(Router router) {
        // While draining, every answer (a 202 of a batch in flight, a 503, a health check) closes its
        // connection: clients open a new one, which the closed listener then refuses cleanly, instead
        // of writing into a keep-alive connection the shutdown is about to close.
        router.route().handler(ctx -> {
            ctx.addHeadersEndHandler(v -> {
                if (health.draining()) {
                    ctx.response().putHeader("Connection", "close");
                }
            });
            ctx.next();
        });
        // Header fields Netty's codec lets through but this API refuses (see HeaderCheck).
        router.route().handler(this::checkHeaders);
        // Draining, or the lease unconfirmed: a complete 503 before the key lookup, the body or any
        // Kafka work.
        router.route("/v1/*").handler(this::refuseNewWorkWhenUnavailable);
    }

    /** The router's own refusals (body over its limit, no route, wrong method, a handler's failure). */
    static void mountErrors(Router router) {
        router.errorHandler(
                413,
                ctx -> problem(
                        ctx,
                        ctx.request().path().startsWith("/v1/customers")
                                ? CustomerRegistration.tooLarge()
                                : ctx.request().path().endsWith("/refunds")
                                        ? RefundRequestValidator.tooLarge()
                                        : RequestValidator.tooLarge()));
        router.errorHandler(404, ctx -> problem(ctx, ProblemType.NOT_FOUND.problem("no such resource")));
        router.errorHandler(
                405,
                ctx -> problem(
                        ctx,
                        ProblemType.METHOD_NOT_ALLOWED.problem(ctx.request().method() + " is not allowed here")));
        router.errorHandler(
                500, ctx -> problem(ctx, ProblemType.INTERNAL_ERROR.problem("the request could not be handled")));
    }

    /**
     * Bounds the time to read a body: a client that sends its headers and then trickles the body gets
     * {@code 408} and the connection is closed, instead of holding it.
     */
    void bodyReadDeadline(RoutingContext ctx) {
        if (!ctx.request().isEnded()) {
            long timer = vertx.setTimer(config.httpRequestReadTimeoutMs(), id -> {
                if (!ctx.response().ended()) {
                    metrics.readTimeouts.increment();
                    ctx.response().putHeader("connection", "close");
                    problem(
                            ctx,
                            ProblemType.REQUEST_TIMEOUT.problem(
                                    "the body did not arrive within " + config.httpRequestReadTimeoutMs() + " ms"));
                    ctx.request().connection().close();
                }
            });
            ctx.put(BODY_TIMER, timer);
            ctx.addEndHandler(v -> vertx.cancelTimer(timer));
        }
        ctx.next();
    }

    /** The body is read: its deadline ends. */
    void bodyRead(RoutingContext ctx) {
        Long timer = ctx.get(BODY_TIMER);
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
        ctx.next();
    }

    /**
     * A request the HTTP codec could not decode (a control character in a header value, a line or
     * header block over its limit) still gets a problem+json answer, then the connection closes, as
     * the codec cannot tell where the next request starts. The codec has dropped the headers by now,
     * so the field named is {@code headers} (or {@code request-line}).
     */
    static void invalidRequest(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        Problem p;
        if (cause instanceof io.netty.handler.codec.http.TooLongHttpLineException) {
            p = ProblemType.REQUEST_LINE_TOO_LONG.problem(
                    "the request line is over its limit", List.of(new Problem.FieldError("request-line", "too long")));
        } else if (cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException) {
            p = ProblemType.HEADERS_TOO_LARGE.problem(
                    "the request headers are over their limit",
                    List.of(new Problem.FieldError("headers", "too large")));
        } else {
            String why = cause == null || cause.getMessage() == null ? "not valid HTTP" : cause.getMessage();
            p = ProblemType.MALFORMED_REQUEST.problem(
                    "a header or the request line holds a character HTTP does not allow: " + why,
                    List.of(new Problem.FieldError("headers", why)));
        }
        request.response()
                .setStatusCode(p.status())
                .putHeader("content-type", Problem.MEDIA_TYPE)
                .putHeader("connection", "close")
                .end(p.encode(null))
                .onComplete(ignored -> request.connection().close());
    }

    private void refuseNewWorkWhenUnavailable(RoutingContext ctx) {
        if (health.draining()) {
            metrics.shed(GatewayMeters.Shed.DRAINING);
            problem(ctx, draining(config.retryAfterS()));
        } else if (health.leaseSuspect()) {
            // PostgreSQL does not answer the lease check: the lock is probably still ours, but new
            // work waits until it is confirmed; what is in flight finishes (Kafka fencing guards it).
            metrics.shed(GatewayMeters.Shed.LEASE_SUSPECT);
            problem(ctx, leaseSuspect(config.retryAfterS()));
        } else {
            ctx.next();
        }
    }

    static Problem leaseSuspect(int retryAfterS) {
        return ProblemType.LEASE_SUSPECT.problem(
                "this gateway cannot confirm its instance lease (PostgreSQL does not answer) and takes no new"
                        + " requests meanwhile; retry with the same key",
                retryAfterS);
    }

    static Problem draining(int retryAfterS) {
        return ProblemType.DRAINING.problem(
                "this gateway is shutting down and takes no new requests; retry with the same key", retryAfterS);
    }

    /**
     * Refuses, before any other work, what the codec accepts but this API does not: too many header
     * fields (431), a value with a byte outside visible ASCII, space and tab (400), a
     * {@code Transfer-Encoding} other than a single {@code chunked} (400). The connection closes
     * after the answer: for a transfer coding the codec did not frame the body by, the bytes after
     * the headers would otherwise be read as the next request (request smuggling). A chunked request
     * is answered and its connection closed too.
     */
    private void checkHeaders(RoutingContext ctx) {
        Problem p = HeaderCheck.check(ctx.request().headers(), config.httpHeadersCountMax());
        if (p == null) {
            if (ctx.request().headers().contains("Transfer-Encoding")) {
                // The codec drops a Content-Length sent with Transfer-Encoding before we see it, and RFC
                // 9112 requires closing after such a request: a front proxy may have framed it by the
                // Content-Length, so the bytes after its last chunk must not be read as a request here.
                closeAfterAnswer(ctx);
            }
            ctx.next();
            return;
        }
        metrics.invalid.increment();
        closeAfterAnswer(ctx);
        problem(ctx, p);
    }

    /** Answers this request, then closes its connection; nothing pipelined behind it is routed. */
    private void closeAfterAnswer(RoutingContext ctx) {
        HttpConnection conn = ctx.request().connection();
        closing.add(conn);
        ctx.response().putHeader("connection", "close");
        ctx.addEndHandler(v -> conn.close());
    }

    /** A connection's peer IP address, or "unknown": the key of its connection count and 401 budget. */
    static String address(HttpConnection conn) {
        io.vertx.core.net.SocketAddress a = conn.remoteAddress();
        return a == null || a.hostAddress() == null ? "unknown" : a.hostAddress();
    }

    /**
     * Writes {@code p} as problem+json, unless the answer is already written. A request refused with
     * its body unread gets {@code connection: close} and a bounded lingering close.
     */
    static void problem(RoutingContext ctx, Problem p) {
        HttpServerResponse r = ctx.response();
        if (r.ended() || r.closed()) {
            return;
        }
        // Refused with its body unread (401, 400, 413, 429, 503 before the body): close after the
        // answer instead of draining a body of any size at the client's pace.
        boolean bodyUnread = !ctx.request().isEnded() && hasBody(ctx.request());
        if (bodyUnread) {
            r.putHeader("connection", "close");
        }
        r.setStatusCode(p.status()).putHeader("content-type", Problem.MEDIA_TYPE);
        if (p.status() == 401) {
            r.putHeader("WWW-Authenticate", "Bearer realm=\"billing\"");
        }
        if (p.retryAfterS() != null) {
            r.putHeader("Retry-After", String.valueOf(p.retryAfterS()));
        }
        Future<Void> written = r.end(p.encode(ctx.request().path()));
        if (bodyUnread) {
            // A lingering close, bounded (nginx's lingering_close): closing with the client's body still
            // unread in the socket sends a reset, which can destroy the answer before the client reads
            // it (a 413 to a 17 KB body was lost so in a CI run). The connection stays open
            // REFUSAL_LINGER_MS after the answer, for the client to read it, then closes.
            HttpConnection conn = ctx.request().connection();
            written.onComplete(v -> ctx.vertx().setTimer(REFUSAL_LINGER_MS, id -> conn.close()));
        }
    }

    /** Whether the request announces a body: a {@code Transfer-Encoding}, or a non-zero length. */
    static boolean hasBody(HttpServerRequest request) {
        if (request.headers().contains("Transfer-Encoding")) {
            return true;
        }
        String length = request.getHeader("Content-Length");
        return length != null && !length.trim().equals("0");
    }
}
