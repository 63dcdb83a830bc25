package com.streamsocial.billing.gateway.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerResponse;

/**
 * The read deadline of every request on one connection: from the first byte of a request (or the
 * connection's opening, for its first) to its complete head, at most {@code readTimeoutMs}; beyond,
 * the connection is closed and {@code onTimeout} runs. A client trickling the headers of its first or
 * of a later kept-alive request cannot hold the connection. Between requests only the idle timeout
 * applies. Its methods run on the connection's event loop.
 */
public final class ReadDeadline extends ChannelInboundHandlerAdapter {
    /** Where the connection is in its request cycle. */
    enum State {
        /** A request's head is arriving: the deadline runs. */
        READING,
        /** A request was routed; its answer is not written yet (its body has its own deadline). */
        ROUTED,
        /** The last answer is written and no byte of the next request has arrived. */
        IDLE
    }

    private final Vertx vertx;
    /** The connection's context: the timer's callback runs there, as do Netty's reads. */
    private final Context context;

    private final HttpConnection conn;
    private final long readTimeoutMs;
    private final Runnable onTimeout;
    private State state = State.READING;
    private long timer = -1;
    private HttpServerResponse current;

    /** Starts the first request's deadline at once. */
    public ReadDeadline(Context context, HttpConnection conn, long readTimeoutMs, Runnable onTimeout) {
        this.vertx = context.owner();
        this.context = context;
        this.conn = conn;
        this.readTimeoutMs = readTimeoutMs;
        this.onTimeout = onTimeout;
        arm();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        bytesArrived();
        super.channelRead(ctx, msg);
    }

    /** Bytes came in: after an answer, they start the next request, and its deadline. */
    void bytesArrived() {
        if (state == State.ROUTED && current != null && current.ended()) {
            state = State.IDLE;
        }
        if (state == State.IDLE) {
            state = State.READING;
            arm();
        }
    }

    /** The request's head is complete and routed: its deadline stops; {@code response} ends it. */
    public void routed(HttpServerResponse response) {
        state = State.ROUTED;
        current = response;
        cancel();
    }

    /** The connection closed: no timer outlives it. */
    public void closed() {
        cancel();
    }

    State state() {
        return state;
    }

    private void arm() {
        cancel();
        long armed = vertx.setTimer(readTimeoutMs, id -> context.runOnContext(v -> expired(id)));
        timer = armed;
    }

    private void expired(long id) {
        if (timer != id) {
            return; // cancelled or re-armed meanwhile
        }
        timer = -1;
        if (state == State.READING) {
            onTimeout.run();
            conn.close();
        }
    }

    private void cancel() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }
}
