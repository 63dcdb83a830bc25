package com.streamsocial.billing.stack;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The local stack's kept data directory, owned by one live stack at a time: {@code kafka/} (the
 * broker's log, KRaft metadata and cluster id) and {@code pg/} (PostgreSQL's data directory, which
 * also holds the sandbox's charges). Ownership is an OS file lock on {@code stack.lock}, held for the
 * stack's life and dropped by the kernel however the process ends, so a SIGKILL never blocks the next
 * start; the file also names the holder's pid, for the refusal message.
 *
 * <p>A part is <em>initialized</em> once its server has started on it for the first time (a marker
 * file next to it). A part without the marker comes from a first start that was killed before its
 * server came up, which cannot have stored anything: it is wiped and made again instead of being
 * trusted half-made.
 */
public final class StackDataDir implements AutoCloseable {
    /** The lock file's name inside the data directory. */
    public static final String LOCK_FILE = "stack.lock";

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private StackDataDir(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /** Another live stack holds the directory. Nothing in it was touched. */
    public static final class InUseException extends Exception {
        private final Path dir;
        private final String holderPid;

        InUseException(Path dir, String holderPid) {
            super("the data directory " + dir + " is in use by another stack (pid " + holderPid + ", lock "
                    + dir.resolve(LOCK_FILE) + "); stop that stack first, or start this one with"
                    + " --data-dir <another directory> or --fresh");
            this.dir = dir;
            this.holderPid = holderPid;
        }

        public Path dir() {
            return dir;
        }

        /** The pid the holder wrote, or {@code unknown}. */
        public String holderPid() {
            return holderPid;
        }
    }

    /**
     * Takes {@code dir} (created if missing) for this process, or throws {@link InUseException} if a
     * live process holds it. Only the lock file is written, and only once the lock is held.
     */
    public static StackDataDir lock(Path dir) throws IOException, InUseException {
        Path abs = dir.toAbsolutePath().normalize();
        Files.createDirectories(abs);
        Path lockFile = abs.resolve(LOCK_FILE);
        FileChannel ch = FileChannel.open(
                lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            // Held by this very JVM (a second stack in one process): as refused as another process.
            lock = null;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        if (lock == null) {
            String pid = readPid(ch);
            ch.close();
            throw new InUseException(abs, pid);
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        ch.force(true);
        return new StackDataDir(abs, ch, lock);
    }

    private static String readPid(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            ch.read(b, 0);
            String s = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).trim();
            return s.isEmpty() ? "unknown" : s;
        } catch (IOException e) {
            return "unknown";
        }
    }

    public Path dir() {
        return dir;
    }

    /** The broker's log directory, ready to be formatted or reopened. */
    public Path kafka() throws IOException {
        return part("kafka");
    }

    /** PostgreSQL's data directory, ready for initdb or reopening. */
    public Path pg() throws IOException {
        return part("pg");
    }

    /** Records that {@code part}'s server has started on it: from now on it is kept whatever happens. */
    public void markInitialized(Path part) throws IOException {
        Path marker = marker(part);
        if (!Files.exists(marker)) {
            Files.writeString(marker, "initialized\n", StandardCharsets.US_ASCII);
        }
    }

    private Path part(String name) throws IOException {
        requireHeld();
        Path p = dir.resolve(name);
        if (Files.exists(p) && !Files.exists(marker(p))) {
            // Left by a first start killed before the server came up: nothing was stored in it.
            TempDirs.delete(p);
        }
        return p;
    }

    private Path marker(Path part) {
        return part.resolveSibling(part.getFileName() + ".initialized");
    }

    private void requireHeld() {
        if (!lock.isValid()) {
            throw new IllegalStateException("the lock on " + dir + " is released");
        }
    }

    /** Releases the lock; the data stays. */
    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
