package com.streamsocial.billing.loadtest;

import com.streamsocial.billing.stack.JvmProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Test support: one of the runnable jars as its own JVM, with its standard output and error kept
 * apart in files (a file, unlike a pipe, still holds everything after the process exits).
 */
final class JarProcess {
    final String name;
    private final Process process;
    private final Path out;
    private final Path err;

    private JarProcess(String name, Process process, Path out, Path err) {
        this.name = name;
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** {@code gateway.jar} or {@code processor.jar}, as the modules build them. */
    static Path jar(String module) {
        Path jar = Path.of(System.getProperty(module + ".jar", "../" + module + "/target/" + module + ".jar"))
                .toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException("build the " + module + " jar first: " + jar);
        }
        return jar;
    }

    static JarProcess start(String module, Map<String, String> properties, String... args) throws IOException {
        return start(module, List.of(), properties, args);
    }

    /** With {@code jvmOptions} as given, before the settings ({@code -D} of a secret, to see it refused). */
    static JarProcess start(String module, List<String> jvmOptions, Map<String, String> properties, String... args)
            throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m"));
        cmd.addAll(jvmOptions);
        ProcessBuilder b = new ProcessBuilder(cmd);
        Map<String, String> settings = new java.util.HashMap<>(properties);
        if (module.equals("processor") || module.equals("gateway")) {
            // The tests' processors use the sandbox's key (or approve-all, or a naive guarantee): a
            // development-only mode (DevModes). Their gateways take payments with fresh customer ids,
            // which only trust on first use registers (off without dev.mode, issue 19 §1). A test of
            // the refusal gives dev.mode=false itself.
            settings.putIfAbsent("dev.mode", "true");
        }
        // Secrets in the environment: the jars refuse them as -D.
        JvmProcess.passSettings(settings, cmd, b.environment());
        cmd.add("-jar");
        cmd.add(jar(module).toString());
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(module + "-out", ".log");
        Path err = Files.createTempFile(module + "-err", ".log");
        Process p = b.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new JarProcess(module + " " + p.pid(), p, out, err);
    }

    String stdout() {
        return read(out);
    }

    String stderr() {
        return read(err);
    }

    /** Both streams, for assertion messages. */
    String output() {
        return "--- " + name + " stdout:\n" + stdout() + "--- " + name + " stderr:\n" + stderr();
    }

    /** True once either stream has a line containing {@code fragment}; false if the process exits first. */
    boolean awaitLine(String fragment, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (stdout().contains(fragment) || stderr().contains(fragment)) {
                return true;
            }
            if (!process.isAlive()) {
                return stdout().contains(fragment) || stderr().contains(fragment);
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** The exit status, or null if it still runs after {@code timeoutMs}. */
    Integer awaitExit(long timeoutMs) throws InterruptedException {
        return process.waitFor(timeoutMs, TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM: the JVM runs its shutdown hooks (and prints what they print); waits for it to exit. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            kill();
        }
    }

    /** SIGTERM without waiting: the caller watches the drain and the exit. */
    void terminate() {
        process.destroy();
    }

    /** SIGKILL on Linux: the JVM gets no chance to run any code. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + " survived SIGKILL");
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
