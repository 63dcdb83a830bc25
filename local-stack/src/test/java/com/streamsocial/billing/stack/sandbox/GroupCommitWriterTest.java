package com.streamsocial.billing.stack.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The adapter on a real event loop, with a fake writer standing in for PostgreSQL. */
class GroupCommitWriterTest {
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private <T> T onLoop(java.util.function.Supplier<Future<T>> work) throws Exception {
        CompletableFuture<T> out = new CompletableFuture<>();
        vertx.runOnContext(v -> work.get().onComplete(ar -> {
            if (ar.succeeded()) {
                out.complete(ar.result());
            } else {
                out.completeExceptionally(ar.cause());
            }
        }));
        return out.get(10, TimeUnit.SECONDS);
    }

    @Test
    void requestsArrivingWhileABatchIsWrittenShareTheNextAndEachGetsItsOwnResult() throws Exception {
        List<List<Integer>> batches = new ArrayList<>();
        GroupCommitWriter<Integer, String> w = new GroupCommitWriter<>(vertx, "test", 4, 10, 0, items -> {
            batches.add(items);
            Promise<List<String>> p = Promise.promise();
            // Written a little later, as by the database: the rest arrive meanwhile.
            vertx.setTimer(10, t -> p.complete(items.stream().map(i -> "r" + i).toList()));
            return p.future();
        });
        List<String> answers = onLoop(() -> {
            List<Future<String>> all = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                all.add(w.submit(i));
            }
            return Future.all(all).map(c -> c.<String>list());
        });
        // The first went out alone; the other six waited: four (batchMax) in the next batch, two after.
        assertThat(batches).containsExactly(List.of(0), List.of(1, 2, 3, 4), List.of(5, 6));
        assertThat(answers).containsExactly("r0", "r1", "r2", "r3", "r4", "r5", "r6");
    }

    @Test
    void overTheBoundARequestIsRefusedAsOverloaded() throws Exception {
        GroupCommitWriter<Integer, String> w = new GroupCommitWriter<>(
                vertx, "test", 1, 2, 0, items -> Promise.<List<String>>promise().future());
        Throwable refused = onLoop(() -> {
            w.submit(0); // written, never answers
            w.submit(1);
            w.submit(2); // two waiting: the bound
            return w.submit(3).transform(ar -> Future.succeededFuture(ar.cause()));
        });
        assertThat(refused).isInstanceOf(GroupCommitWriter.Overloaded.class);
    }

    @Test
    void whenABatchFailsEachEntryIsWrittenAloneSoOnlyTheBadOneFails() throws Exception {
        List<List<Integer>> batches = new ArrayList<>();
        Promise<List<String>> first = Promise.promise();
        GroupCommitWriter<Integer, String> w = new GroupCommitWriter<>(vertx, "test", 10, 10, 0, items -> {
            batches.add(items);
            if (batches.size() == 1) {
                return first.future();
            }
            return items.contains(2)
                    ? Future.failedFuture(new IllegalArgumentException("refused"))
                    : Future.succeededFuture(items.stream().map(i -> "ok" + i).toList());
        });
        List<String> outcomes = onLoop(() -> {
            List<Future<String>> all = new ArrayList<>();
            all.add(w.submit(0));
            for (int i = 1; i <= 3; i++) {
                all.add(w.submit(i));
            }
            first.complete(List.of("ok0"));
            return Future.join(all)
                    .transform(ar -> Future.succeededFuture(all.stream()
                            .map(f -> f.succeeded() ? f.result() : "failed")
                            .toList()));
        });
        assertThat(batches).containsExactly(List.of(0), List.of(1, 2, 3), List.of(1), List.of(2), List.of(3));
        assertThat(outcomes).containsExactly("ok0", "ok1", "failed", "ok3");
    }

    @Test
    void aWriterAnsweringTheWrongNumberOfResultsFailsTheBatchInsteadOfMisMapping() throws Exception {
        Promise<List<String>> first = Promise.promise();
        GroupCommitWriter<Integer, String> w = new GroupCommitWriter<>(vertx, "test", 10, 10, 0, items -> {
            if (items.equals(List.of(0))) {
                return first.future();
            }
            return Future.succeededFuture(items.size() == 1 ? List.of("alone" + items.get(0)) : List.of("short"));
        });
        List<String> outcomes = onLoop(() -> {
            List<Future<String>> all = List.of(w.submit(0), w.submit(1), w.submit(2));
            first.complete(List.of("alone0"));
            return Future.join(all)
                    .transform(ar -> Future.succeededFuture(all.stream()
                            .map(f -> f.succeeded() ? f.result() : "failed")
                            .toList()));
        });
        assertThat(outcomes).containsExactly("alone0", "alone1", "alone2");
    }
}
