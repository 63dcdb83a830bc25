package com.streamsocial.billing.loadtest;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Test support: the processor as its own JVM, from the real {@code processor.jar}, so that a test can
 * kill it with SIGKILL: no shutdown hook, no abort, no close.
 */
final class ProcessorProcess {
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private ProcessorProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader r = new BufferedReader(
                            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = r.readLine()) != null) {
                            lines.add(line);
                            System.out.println("[processor " + process.pid() + "] " + line);
                        }
                    } catch (java.io.IOException ignored) {
                        // The process died: that is what these tests do to it.
                    }
                },
                "processor-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    static ProcessorProcess start(Map<String, String> properties) throws Exception {
        Path jar = Path.of(System.getProperty("processor.jar", "../processor/target/processor.jar"))
                .toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException("build the processor jar first: " + jar);
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m"));
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(jar.toString());
        return new ProcessorProcess(
                new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    boolean awaitLine(String fragment, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (lines.stream().anyMatch(l -> l.contains(fragment))) {
                return true;
            }
            if (!process.isAlive()) {
                return false;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** SIGKILL on Linux: the JVM gets no chance to run any code. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("processor " + process.pid() + " survived SIGKILL");
        }
    }

    int exitCode() {
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }
}
