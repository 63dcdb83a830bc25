package com.streamsocial.billing.loadtest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Prometheus's {@code promtool}, which must be installed (the Debian package {@code prometheus};
 * {@code .ci/run} installs it): without it the calling test fails rather than skips.
 */
final class Promtool {
    /** How a run ended: its exit status and its output (stdout and stderr together). */
    record Result(int exit, String output) {}

    private Promtool() {}

    /** {@code promtool args...}, with {@code stdin} (may be null) as its input. */
    static Result run(String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("promtool");
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(
                    "promtool is not installed: apt-get install -y prometheus (.ci/run installs it)", e);
        }
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream o = p.getInputStream()) {
            o.transferTo(out);
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("promtool " + String.join(" ", args) + " did not end in 60 s");
        }
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }
}
