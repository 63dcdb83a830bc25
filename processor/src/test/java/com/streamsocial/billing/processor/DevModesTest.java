package com.streamsocial.billing.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.stack.LogCapture;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 §6: the modes that move no money or spend it unsafely (approve-all, the naive guarantees,
 * the sandbox's well-known credentials as defaults) start only with {@code dev.mode=true}; without it
 * start-up is refused naming each mode, and a production configuration needs no flag.
 */
class DevModesTest {
    /** A production configuration: a real key, the default provider and guarantee. */
    private static final Map<String, String> PRODUCTION = Map.of("provider.secretKey", "sk_live_real");

    private static ProcessorConfig config(Map<String, String> base, String... pairs) {
        Map<String, String> s = new HashMap<>(base);
        for (int i = 0; i < pairs.length; i += 2) {
            s.put(pairs[i], pairs[i + 1]);
        }
        return ProcessorConfig.from(Settings.of(s));
    }

    @Test
    void aProductionConfigurationIsInNoDevelopmentModeAndNeedsNoFlag() {
        ProcessorConfig c = config(PRODUCTION);
        assertThat(c.devMode()).isFalse();
        assertThat(DevModes.of(c)).isEmpty();
        assertThatCode(() -> DevModes.require(c)).doesNotThrowAnyException();
        // PayPal with its own credentials.
        ProcessorConfig paypal =
                config(Map.of(), "provider.kind", "paypal", "provider.clientId", "id", "provider.clientSecret", "s");
        assertThatCode(() -> DevModes.require(paypal)).doesNotThrowAnyException();
    }

    @Test
    void eachDevelopmentModeIsRefusedWithoutTheFlagNamingIt() {
        Map<ProcessorConfig, String> modes = new java.util.LinkedHashMap<>();
        modes.put(config(PRODUCTION, "provider.kind", "approve-all"), "provider.kind=approve-all");
        modes.put(config(PRODUCTION, "processor.guarantee", "at-least-once"), "processor.guarantee=at-least-once");
        modes.put(config(PRODUCTION, "processor.guarantee", "at-most-once"), "processor.guarantee=at-most-once");
        // No key, the provider on loopback: the sandbox's key is the default.
        modes.put(config(Map.of()), "provider.secretKey=the sandbox's well-known key");
        modes.put(config(Map.of(), "provider.kind", "paypal"), "provider.clientId/clientSecret");
        modes.forEach((c, named) -> {
            assertThat(DevModes.of(c)).as(named).anySatisfy(m -> assertThat(m).startsWith(named));
            assertThatThrownBy(() -> DevModes.require(c))
                    .as(named)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dev.mode=true")
                    .hasMessageContaining(named);
        });
    }

    @Test
    void withTheFlagTheyStartAndEveryModeIsListedForReadiness() {
        ProcessorConfig c = config(
                Map.of(), "dev.mode", "true", "provider.kind", "approve-all", "processor.guarantee", "at-most-once");
        assertThat(c.devMode()).isTrue();
        assertThatCode(() -> DevModes.require(c)).doesNotThrowAnyException();
        List<String> modes = DevModes.of(c);
        assertThat(modes).hasSize(2);
        assertThat(modes.get(0)).startsWith("provider.kind=approve-all");
        assertThat(modes.get(1)).startsWith("processor.guarantee=at-most-once");
        assertThat(c.toString()).contains("dev.mode=true");
    }

    @Test
    void withTheFlagDeployWarnsOncePerModeBeforeConnecting() {
        Vertx vertx = Vertx.vertx();
        try (LogCapture logs = LogCapture.start()) {
            // Nothing listens on these addresses: the WARNs come before anything connects.
            ProcessorConfig c = config(
                    Map.of("pg.uri", "postgresql://u@127.0.0.1:1/none", "kafka.bootstrap.servers", "127.0.0.1:1"),
                    "dev.mode",
                    "true",
                    "processor.instanceId",
                    "processor-devmodes",
                    "provider.kind",
                    "approve-all",
                    "processor.guarantee",
                    "at-least-once");
            Processor.deploy(vertx, c);
            List<String> warnings = logs.warnings(Processor.class.getName());
            assertThat(warnings)
                    .as("%s", logs.lines())
                    .containsExactly(
                            "processor processor-devmodes runs in a development-only mode (dev.mode=true): "
                                    + DevModes.of(c).get(0),
                            "processor processor-devmodes runs in a development-only mode (dev.mode=true): "
                                    + DevModes.of(c).get(1));
            assertThat(warnings.get(0)).contains("provider.kind=approve-all");
            assertThat(warnings.get(1)).contains("processor.guarantee=at-least-once");
        } finally {
            vertx.close().await();
        }
    }

    @Test
    void aProductionConfigurationDeploysWithoutADevelopmentWarning() {
        Vertx vertx = Vertx.vertx();
        try (LogCapture logs = LogCapture.start()) {
            ProcessorConfig c = config(
                    PRODUCTION,
                    "pg.uri",
                    "postgresql://u@127.0.0.1:1/none",
                    "kafka.bootstrap.servers",
                    "127.0.0.1:1",
                    "processor.instanceId",
                    "processor-production");
            Processor.deploy(vertx, c);
            assertThat(logs.warnings(Processor.class.getName()))
                    .as("%s", logs.lines())
                    .noneMatch(w -> w.contains("development-only"));
        } finally {
            vertx.close().await();
        }
    }

    @Test
    void theFlagIsAStrictBooleanOffByDefault() {
        assertThat(config(PRODUCTION).devMode()).isFalse();
        assertThatThrownBy(() -> config(PRODUCTION, "dev.mode", "yes"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dev.mode");
    }

    @Test
    void deployRefusesBeforeConnectingAnywhere() {
        Vertx vertx = Vertx.vertx();
        try {
            // Nothing listens on these addresses: a refusal that connected first would fail otherwise.
            ProcessorConfig c = config(
                    Map.of("pg.uri", "postgresql://u@127.0.0.1:1/none", "kafka.bootstrap.servers", "127.0.0.1:1"),
                    "provider.kind",
                    "approve-all");
            // Failed at once: nothing was tried, so nothing was connected to.
            io.vertx.core.Future<Processor> deployed = Processor.deploy(vertx, c);
            assertThat(deployed.failed()).isTrue();
            assertThat(deployed.cause())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dev.mode=true")
                    .hasMessageContaining("provider.kind=approve-all");
        } finally {
            vertx.close().await();
        }
    }
}
