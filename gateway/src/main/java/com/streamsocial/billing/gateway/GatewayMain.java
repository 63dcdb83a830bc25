package com.streamsocial.billing.gateway;

import com.streamsocial.billing.contract.Settings;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code java -jar gateway.jar}: runs one gateway process against the configured Kafka and PostgreSQL. */
public final class GatewayMain {
    private GatewayMain() {}

    public static void main(String[] args) throws Exception {
        GatewayConfig config = GatewayConfig.from(Settings.fromEnvironment());
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Math.max(2, config.producers())));
        Gateway gateway = Gateway.deploy(vertx, config, BatchFaults.NONE).await();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                gateway.close()
                                        .toCompletionStage()
                                        .toCompletableFuture()
                                        .get(15, TimeUnit.SECONDS);
                                vertx.close()
                                        .toCompletionStage()
                                        .toCompletableFuture()
                                        .get(5, TimeUnit.SECONDS);
                            } catch (Exception e) {
                                System.err.println("gateway did not stop cleanly: " + e);
                            } finally {
                                stopped.countDown();
                            }
                        },
                        "gateway-shutdown"));
        stopped.await();
    }
}
