package com.streamsocial.billing.loadtest.chaos;

import com.streamsocial.billing.stack.JvmProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One service of a chaos run (broker, gateway, processor) as its own JVM, started from this JVM's
 * class path with a main class and system properties (secrets in its environment), its output appended to one log file across
 * restarts. It can be killed with SIGKILL, paused with SIGSTOP and resumed with SIGCONT, and started
 * again with the same settings.
 */
final class ServiceProcess {
    /** Longest wait for a killed process to be gone. */
    static final long KILL_WAIT_MS = 30_000;

    final String name;
    private final String mainClass;
    private final int heapMb;
    private final Map<String, String> properties;
    private final Path log;
    private Process process;
    private long logOffsetAtStart;

    ServiceProcess(String name, String mainClass, int heapMb, Map<String, String> properties, Path logDir) {
        this.name = name;
        this.mainClass = mainClass;
        this.heapMb = heapMb;
        this.properties = Map.copyOf(properties);
        this.log = logDir.resolve(name + ".log");
    }

    synchronized void start() throws IOException {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(
                javaBin,
                "-Xmx" + heapMb + "m",
                // Serial GC and C1 only: these JVMs share two cores with the load and the checker.
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1"));
        ProcessBuilder b = new ProcessBuilder(cmd);
        // Secrets (provider.secretKey) in the environment: the services refuse them as -D.
        JvmProcess.passSettings(properties, cmd, b.environment());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        Files.createDirectories(log.getParent());
        logOffsetAtStart = Files.exists(log) ? Files.size(log) : 0;
        Files.writeString(
                log,
                "=== start " + Instant.now() + "\n",
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        process = b.redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    /** SIGKILL: the JVM runs no code at all (no shutdown hook, no abort, no close). */
    synchronized void kill() throws InterruptedException {
        Process p = process;
        if (p == null) {
            return;
        }
        p.destroyForcibly();
        if (!p.waitFor(KILL_WAIT_MS, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(name + " survived SIGKILL");
        }
    }

    /**
     * SIGTERM, as an orchestrator scales a service in: it drains and exits by itself. True when it
     * exited within {@code timeoutMs}.
     */
    boolean terminate(long timeoutMs) throws IOException, InterruptedException {
        signal("TERM");
        return process.waitFor(timeoutMs, TimeUnit.MILLISECONDS);
    }

    void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    /** SIGQUIT: the JVM prints every thread's stack to its log and goes on running. */
    void dumpThreads() throws IOException, InterruptedException {
        signal("QUIT");
    }

    private void signal(String sig) throws IOException, InterruptedException {
        int rc = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid()))
                .inheritIO()
                .start()
                .waitFor();
        if (rc != 0) {
            throw new IllegalStateException("kill -" + sig + " " + process.pid() + " exited " + rc);
        }
    }

    synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    synchronized int exitCode() {
        return process.exitValue();
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    /** True once the current run's output has a line containing {@code fragment}. */
    boolean awaitLine(String fragment, long timeoutMs) throws InterruptedException, IOException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (currentOutput().contains(fragment)) {
                return true;
            }
            if (!isAlive()) {
                return currentOutput().contains(fragment);
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** What the current run has printed so far. */
    String currentOutput() throws IOException {
        byte[] all = Files.readAllBytes(log);
        int from = (int) Math.min(all.length, logOffsetAtStart);
        return new String(all, from, all.length - from, StandardCharsets.UTF_8);
    }

    /** The last {@code n} lines of the log, for error messages. */
    String tail(int n) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
