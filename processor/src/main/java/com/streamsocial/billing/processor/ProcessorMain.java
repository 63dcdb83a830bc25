package com.streamsocial.billing.processor;

import com.streamsocial.billing.contract.Settings;
import com.streamsocial.billing.processor.reconcile.ReconcileCommand;
import io.vertx.core.Vertx;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar processor.jar}: runs one processor against the configured Kafka and PostgreSQL;
 * {@code java -jar processor.jar reconcile ...}: one reconciliation run (see {@link ReconcileCommand}).
 */
public final class ProcessorMain {
    private ProcessorMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("reconcile")) {
            System.exit(ReconcileCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length)));
        }
        ProcessorConfig config = ProcessorConfig.from(Settings.fromEnvironment());
        Vertx vertx = Vertx.vertx();
        Processor processor = Processor.deploy(vertx, config).await();
        System.out.println("processor " + config.instanceId() + " ready");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                processor
                                        .close()
                                        .toCompletionStage()
                                        .toCompletableFuture()
                                        .get(30, TimeUnit.SECONDS);
                                vertx.close()
                                        .toCompletionStage()
                                        .toCompletableFuture()
                                        .get(5, TimeUnit.SECONDS);
                            } catch (Exception e) {
                                System.err.println("processor did not stop cleanly: " + e);
                            } finally {
                                stopped.countDown();
                            }
                        },
                        "processor-shutdown"));
        stopped.await();
    }
}
