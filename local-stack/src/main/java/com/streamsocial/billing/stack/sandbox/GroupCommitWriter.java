package com.streamsocial.billing.stack.sandbox;

import com.streamsocial.billing.events.Check;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Runs a {@link GroupCommitQueue} on the sandbox's event loop: {@link #submit} answers once the
 * batch holding the entry is written (committed) or has failed. {@code write} writes a whole batch in
 * one statement and answers one result per entry, in order. When a batch of several fails, each of
 * its entries is written again alone, so that one entry the database refuses fails only itself.
 * Used from one event loop only (the verticle's), as the queue is not thread-safe.
 */
final class GroupCommitWriter<I, R> {
    /** An entry refused because {@code queuedMax} entries already wait. */
    static final class Overloaded extends RuntimeException {
        Overloaded(String name) {
            super(name + ": too many entries waiting", null, false, false);
        }
    }

    private record Pending<I, R>(I item, Promise<R> answer) {}

    private final Vertx vertx;
    private final String name;
    private final GroupCommitQueue<Pending<I, R>> queue;
    private final Function<List<I>, Future<List<R>>> write;
    private long lingerTimer = -1;
    /**
     * The event-loop thread that owns the queue: the first to submit; every later call is checked to
     * be on it. A thread, not a context: each HTTP request runs on its own duplicate of the
     * verticle's context, all on the same thread.
     */
    private Thread owner;

    GroupCommitWriter(
            Vertx vertx,
            String name,
            int batchMax,
            int queuedMax,
            long lingerMs,
            Function<List<I>, Future<List<R>>> write) {
        this.vertx = vertx;
        this.name = name;
        this.queue = new GroupCommitQueue<>(batchMax, queuedMax, lingerMs);
        this.write = write;
    }

    /** The entry's result once its batch is committed; failed with {@link Overloaded} when full. */
    Future<R> submit(I item) {
        onOwner();
        Promise<R> answer = Promise.promise();
        if (!queue.offer(new Pending<>(item, answer), System.currentTimeMillis())) {
            return Future.failedFuture(new Overloaded(name));
        }
        drain();
        return answer.future();
    }

    int waiting() {
        return queue.waiting();
    }

    private void drain() {
        onOwner();
        long now = System.currentTimeMillis();
        List<Pending<I, R>> batch = queue.take(now);
        if (batch.isEmpty()) {
            long due = queue.dueMs(now);
            if (due > now && lingerTimer < 0) {
                lingerTimer = vertx.setTimer(due - now, t -> {
                    lingerTimer = -1;
                    drain();
                });
            }
            return;
        }
        List<I> items = new ArrayList<>(batch.size());
        batch.forEach(p -> items.add(p.item()));
        writeChecked(items).onComplete(ar -> {
            if (ar.succeeded()) {
                List<R> results = ar.result();
                for (int i = 0; i < batch.size(); i++) {
                    batch.get(i).answer().complete(results.get(i));
                }
                finish();
            } else if (batch.size() == 1) {
                batch.get(0).answer().fail(ar.cause());
                finish();
            } else {
                eachAlone(batch, 0).onComplete(v -> finish());
            }
        });
    }

    private void onOwner() {
        Thread current = Thread.currentThread();
        if (owner == null) {
            owner = current;
        }
        Check.state(current == owner && Context.isOnEventLoopThread(), "%s: used off its event loop", name);
    }

    private void finish() {
        queue.written();
        drain();
    }

    /** Writes the entries from {@code i} on one at a time, each answered with its own outcome. */
    private Future<Void> eachAlone(List<Pending<I, R>> batch, int i) {
        if (i == batch.size()) {
            return Future.succeededFuture();
        }
        Pending<I, R> p = batch.get(i);
        return writeChecked(List.of(p.item()))
                .onComplete(ar -> {
                    if (ar.succeeded()) {
                        p.answer().complete(ar.result().get(0));
                    } else {
                        p.answer().fail(ar.cause());
                    }
                })
                .transform(ar -> eachAlone(batch, i + 1));
    }

    private Future<List<R>> writeChecked(List<I> items) {
        try {
            return write.apply(items).map(results -> {
                Check.state(
                        results.size() == items.size(),
                        "%s: %d results for %d entries",
                        name,
                        results.size(),
                        items.size());
                return results;
            });
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }
}
