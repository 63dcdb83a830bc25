package com.streamsocial.billing.gateway.it;

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
 * Test support: the gateway as its own JVM, from the real {@code gateway.jar}, so that a test can
 * kill it with SIGKILL: no shutdown hook, no abort, no close.
 */
final class GatewayProcess {
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private GatewayProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader r = new BufferedReader(
                            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = r.readLine()) != null) {
                            lines.add(line);
                            System.out.println("[gateway " + process.pid() + "] " + line);
                        }
                    } catch (java.io.IOException ignored) {
                        // The process died: that is what these tests do to it.
                    }
                },
                "gateway-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    static GatewayProcess start(Map<String, String> properties) throws Exception {
        Path jar =
                Path.of(System.getProperty("gateway.jar", "target/gateway.jar")).toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException("build the gateway jar first: " + jar);
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m"));
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(jar.toString());
        return new GatewayProcess(
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
            throw new IllegalStateException("gateway " + process.pid() + " survived SIGKILL");
        }
    }

    long countLines(String fragment) {
        return lines.stream().filter(l -> l.contains(fragment)).count();
    }

    List<String> lines(String fragment) {
        return lines.stream().filter(l -> l.contains(fragment)).toList();
    }

    int exitCode() {
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }
}
