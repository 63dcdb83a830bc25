package com.streamsocial.billing.stack;

import com.streamsocial.billing.config.Settings;
import java.io.BufferedReader;
import java.io.IOException;
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
 * Test support: one of the runnable jars as its own JVM, so that a test can kill it with SIGKILL (no
 * shutdown hook, no abort, no close). Its output is echoed with a prefix and kept in memory, line by
 * line, for {@link #awaitLine} and the assertions.
 */
public final class JvmProcess {
    private final String name;
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private JvmProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader r = new BufferedReader(
                            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = r.readLine()) != null) {
                            lines.add(line);
                            System.out.println("[" + name + "] " + line);
                        }
                    } catch (IOException ignored) {
                        // The process died: that is what these tests do to it.
                    }
                },
                name.replace(' ', '-') + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code jar} with the given system properties and a heap of {@code heapMb}; {@code role}
     * names it in the echoed output ("gateway", "processor").
     */
    public static JvmProcess start(String role, Path jar, int heapMb, Map<String, String> properties)
            throws IOException {
        Path absolute = jar.toAbsolutePath();
        if (!Files.exists(absolute)) {
            throw new IllegalStateException("build the " + role + " jar first: " + absolute);
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heapMb + "m"));
        ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true);
        passSettings(properties, cmd, b.environment());
        cmd.add("-jar");
        cmd.add(absolute.toString());
        Process p = b.start();
        return new JvmProcess(role + " " + p.pid(), p);
    }

    /**
     * Adds each setting to {@code cmd} as {@code -Dkey=value}, except secrets ({@link Settings#isSecret}),
     * which go into {@code env} ({@code BILLING_PROVIDER_SECRETKEY}): the services refuse a secret given
     * with {@code -D}, which the process list shows.
     */
    public static void passSettings(Map<String, String> settings, List<String> cmd, Map<String, String> env) {
        settings.forEach((k, v) -> {
            // A URI with a password is refused as -D (the process list): it goes in the environment too.
            if (Settings.isSecret(k) || Settings.holdsUriPassword(v)) {
                env.put(Settings.environmentName(k), v);
            } else {
                cmd.add("-D" + k + "=" + v);
            }
        });
    }

    /** True once a line contains {@code fragment}; false if the process exits or the time runs out first. */
    public boolean awaitLine(String fragment, long timeoutMs) throws InterruptedException {
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
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + " survived SIGKILL");
        }
    }

    public long countLines(String fragment) {
        return lines.stream().filter(l -> l.contains(fragment)).count();
    }

    public List<String> lines(String fragment) {
        return lines.stream().filter(l -> l.contains(fragment)).toList();
    }

    public int exitCode() {
        return process.exitValue();
    }

    public boolean isAlive() {
        return process.isAlive();
    }
}
