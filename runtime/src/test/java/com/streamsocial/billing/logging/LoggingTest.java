package com.streamsocial.billing.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.streamsocial.billing.config.Settings;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.ThreadContext;
import org.apache.logging.log4j.core.Layout;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * log.format and log.level, and the payment id as an SLF4J key-value pair: a field in JSON, {@code
 * payment_id=} in text, and only on the line that was given it, even on one event loop thread.
 */
class LoggingTest {
    private static final Logger log = LoggerFactory.getLogger(LoggingTest.class);

    @AfterEach
    void backToText() {
        Logging.configure(Settings.of(Map.of()));
    }

    /** Every line the configured "out" appender would write, through its own layout. */
    private static List<String> capture() {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configuration cfg = ctx.getConfiguration();
        Layout<?> layout = cfg.getAppender("out").getLayout();
        List<String> lines = new CopyOnWriteArrayList<>();
        AbstractAppender a = new AbstractAppender("capture", null, layout, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                lines.add(new String(layout.toByteArray(event), java.nio.charset.StandardCharsets.UTF_8));
            }
        };
        a.start();
        cfg.addAppender(a);
        cfg.getRootLogger().addAppender(a, null, null);
        ctx.updateLoggers();
        return lines;
    }

    /** Logs a payment's line and then a line without one, as two tasks on one event loop. */
    private static void logOnOneEventLoop() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            Context context = vertx.getOrCreateContext();
            Promise<Void> first = Promise.promise();
            context.runOnContext(v -> {
                log.atInfo().addKeyValue(Logging.PAYMENT_ID, "pay_111").log("payment accepted");
                first.complete();
            });
            first.future().await();
            Promise<Boolean> second = Promise.promise();
            context.runOnContext(v -> {
                log.info("no payment here");
                second.complete(ThreadContext.isEmpty());
            });
            assertThat(second.future().await())
                    .as("the event loop's ThreadContext is empty again")
                    .isTrue();
        } finally {
            vertx.close().await();
        }
    }

    @Test
    void jsonIsOneObjectPerLineWithThePaymentIdAsAFieldOnlyWhereGiven() throws Exception {
        Logging.configure(Settings.of(Map.of("log.format", "json")));
        List<String> lines = capture();
        logOnOneEventLoop();
        log.atWarn()
                .addKeyValue(Logging.PAYMENT_ID, "pay_222")
                .setCause(new IllegalStateException("line one\nline two"))
                .log("a payment's failure\nover two lines");
        assertThat(lines).hasSize(3);
        for (String line : lines) {
            assertThat(line).endsWith("\n");
            assertThat(line.strip()).doesNotContain("\n");
        }
        JsonObject paid = new JsonObject(lines.get(0));
        assertThat(paid.getString("payment_id")).isEqualTo("pay_111");
        assertThat(paid.getString("message")).isEqualTo("payment accepted");
        assertThat(paid.getString("level")).isEqualTo("INFO");
        assertThat(paid.getString("logger")).isEqualTo(LoggingTest.class.getName());
        assertThat(paid.getString("time")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        JsonObject unpaid = new JsonObject(lines.get(1));
        assertThat(unpaid.getString("message")).isEqualTo("no payment here");
        assertThat(unpaid.containsKey("payment_id")).as(lines.get(1)).isFalse();
        JsonObject failed = new JsonObject(lines.get(2));
        assertThat(failed.getString("payment_id")).isEqualTo("pay_222");
        assertThat(failed.getString("error.type")).isEqualTo(IllegalStateException.class.getName());
        assertThat(failed.getString("error.stack_trace")).contains("line two");
        assertThat(failed.getString("message")).isEqualTo("a payment's failure\nover two lines");
    }

    @Test
    void textCarriesThePaymentIdOnlyWhereGiven() throws Exception {
        Logging.configure(Settings.of(Map.of("log.format", "TEXT")));
        List<String> lines = capture();
        logOnOneEventLoop();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).contains("LoggingTest - payment_id=pay_111 payment accepted");
        assertThat(lines.get(1)).contains("LoggingTest - no payment here").doesNotContain("payment_id");
    }

    @Test
    void logLevelSetsTheRootLevel() {
        Logging.configure(Settings.of(Map.of("log.level", "warn")));
        List<String> lines = capture();
        log.info("hidden");
        log.warn("shown");
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).contains("shown");
        Logging.configure(Settings.of(Map.of("log.level", "INFO")));
    }

    @Test
    void anInvalidValueFailsNamingItsKey() {
        assertThatThrownBy(() -> Logging.configure(Settings.of(Map.of("log.format", "xml"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("log.format")
                .hasMessageContaining("xml");
        assertThatThrownBy(() -> Logging.configure(Settings.of(Map.of("log.level", "LOUD"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("log.level");
    }
}
