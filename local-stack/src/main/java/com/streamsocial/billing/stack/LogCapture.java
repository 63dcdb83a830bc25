package com.streamsocial.billing.stack;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;

/**
 * For tests: every line this JVM logs through log4j (the root logger, so every service class) while
 * open, as level and formatted message, the way {@code LoggingTest} captures lines. Close it to stop.
 */
public final class LogCapture implements AutoCloseable {
    /** One captured line: its level, its logger's name and its message with the arguments filled in. */
    public record Line(Level level, String logger, String message) {
        public boolean isWarn() {
            return level == Level.WARN;
        }
    }

    private final List<Line> lines = new CopyOnWriteArrayList<>();
    private final AbstractAppender appender;

    private LogCapture() {
        appender =
                new AbstractAppender(
                        "capture-" + System.identityHashCode(this), null, null, true, Property.EMPTY_ARRAY) {
                    @Override
                    public void append(LogEvent event) {
                        lines.add(new Line(
                                event.getLevel(),
                                event.getLoggerName(),
                                event.getMessage().getFormattedMessage()));
                    }
                };
    }

    /** Starts capturing. */
    public static LogCapture start() {
        LogCapture c = new LogCapture();
        c.appender.start();
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configuration cfg = ctx.getConfiguration();
        cfg.addAppender(c.appender);
        cfg.getRootLogger().addAppender(c.appender, null, null);
        ctx.updateLoggers();
        return c;
    }

    /** The lines captured so far. */
    public List<Line> lines() {
        return List.copyOf(lines);
    }

    /** The WARN lines of loggers named {@code loggerName} (a class's full name) captured so far. */
    public List<String> warnings(String loggerName) {
        return lines.stream()
                .filter(l -> l.isWarn() && l.logger().equals(loggerName))
                .map(Line::message)
                .toList();
    }

    @Override
    public void close() {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configuration cfg = ctx.getConfiguration();
        cfg.getRootLogger().removeAppender(appender.getName());
        cfg.getAppenders().remove(appender.getName());
        ctx.updateLoggers();
        appender.stop();
    }
}
