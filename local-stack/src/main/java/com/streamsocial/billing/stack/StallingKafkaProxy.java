package com.streamsocial.billing.stack;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test support: a TCP proxy in front of one Kafka broker that forwards everything unchanged, but can
 * hold the response to the next EndTxn requests (api key 26, the commit or abort of a transaction)
 * for a while after the broker answered: the broker has committed, the client does not know yet. It
 * can also be {@linkplain #cut cut}: the broker unreachable, as while it is down, then back.
 * It reads only Kafka's framing (size, api key, correlation id), never the bodies.
 *
 * <p>Use it with {@link EmbeddedKafka#startBehindProxy}: start the proxy on a free port forwarding to
 * the broker's port, then the broker advertising the proxy's port. Bounded: at most
 * {@link #CONNECTIONS_MAX} client connections at once (two threads each; more are closed at once),
 * frames of at most {@link #FRAME_BYTES_MAX}, holds of at most {@link #HOLD_MS_MAX}.
 */
public final class StallingKafkaProxy implements AutoCloseable {
    /** Client connections open at once; a further one is closed, and the client reconnects later. */
    public static final int CONNECTIONS_MAX = 64;
    /** The broker's own default {@code socket.request.max.bytes}; a larger frame closes the connection. */
    public static final int FRAME_BYTES_MAX = 100 * 1024 * 1024;
    /** The longest hold a test may ask for. */
    public static final long HOLD_MS_MAX = 120_000;

    private static final short END_TXN = 26;
    /** A request starts with api key (2), api version (2) and correlation id (4). */
    private static final int REQUEST_HEADER_BYTES_MIN = 8;
    /** A response starts with the correlation id (4). */
    private static final int RESPONSE_HEADER_BYTES_MIN = 4;

    private final ServerSocket server;
    private final int targetPort;
    private final AtomicInteger toHold = new AtomicInteger();
    private final AtomicInteger held = new AtomicInteger();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile long holdMs;
    private volatile boolean cut;

    /** Listens on 127.0.0.1:{@code listenPort} and forwards each connection to 127.0.0.1:{@code targetPort}. */
    public StallingKafkaProxy(int listenPort, int targetPort) throws IOException {
        this.server = new ServerSocket(listenPort, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        Thread acceptor = new Thread(this::accept, "kafka-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * Holds the response to each of the next {@code count} EndTxn requests for {@code holdMs}, on
     * whichever connection they come. The request itself reaches the broker at once.
     */
    public void holdNextEndTxnResponses(int count, long holdMs) {
        if (count < 0 || holdMs < 0 || holdMs > HOLD_MS_MAX) {
            throw new IllegalArgumentException(
                    "count must be >= 0 and holdMs 0.." + HOLD_MS_MAX + ", got " + count + ", " + holdMs);
        }
        this.holdMs = holdMs;
        toHold.set(count);
    }

    /**
     * While {@code cut}, the broker is unreachable as if it were down: every open connection is closed,
     * a new one is closed as soon as it is accepted, and no request is passed on. Uncut, connections
     * go through again (the broker itself never stopped).
     */
    public void cut(boolean cut) {
        this.cut = cut;
        if (cut) {
            sockets.forEach(StallingKafkaProxy::closeQuietly);
        }
    }

    /**
     * EndTxn responses held so far, each counted when its hold begins: the broker has answered, the
     * client is waiting.
     */
    public int held() {
        return held.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (cut) {
                    closeQuietly(client);
                    continue;
                }
                if (connections.incrementAndGet() > CONNECTIONS_MAX) {
                    connections.decrementAndGet();
                    closeQuietly(client);
                    continue;
                }
                Socket broker;
                try {
                    broker = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                } catch (IOException e) {
                    connections.decrementAndGet();
                    closeQuietly(client);
                    continue;
                }
                client.setTcpNoDelay(true);
                broker.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(broker);
                Set<Integer> heldIds = ConcurrentHashMap.newKeySet();
                // The two pumps share the pair; the second one to finish frees the connection slot.
                AtomicInteger pumps = new AtomicInteger(2);
                Runnable done = () -> {
                    if (pumps.decrementAndGet() == 0) {
                        sockets.remove(client);
                        sockets.remove(broker);
                        connections.decrementAndGet();
                    }
                };
                start("kafka-proxy-requests", () -> requests(client, broker, heldIds), client, broker, done);
                start("kafka-proxy-responses", () -> responses(broker, client, heldIds), client, broker, done);
            } catch (IOException e) {
                // Closed: the loop ends.
            }
        }
    }

    private interface Pump {
        void run() throws IOException, InterruptedException;
    }

    private void start(String name, Pump pump, Socket a, Socket b, Runnable done) {
        Thread t = new Thread(
                () -> {
                    try {
                        pump.run();
                    } catch (IOException | InterruptedException e) {
                        // One side closed: close both, as a real network path would break.
                    } finally {
                        closeQuietly(a);
                        closeQuietly(b);
                        done.run();
                    }
                },
                name);
        t.setDaemon(true);
        t.start();
    }

    private void requests(Socket client, Socket broker, Set<Integer> heldIds) throws IOException {
        DataInputStream in = new DataInputStream(client.getInputStream());
        DataOutputStream out = new DataOutputStream(broker.getOutputStream());
        while (true) {
            byte[] frame = frame(in, REQUEST_HEADER_BYTES_MIN);
            if (cut) {
                // Accepted just before the cut: it breaks like the others.
                throw new IOException("cut");
            }
            short apiKey = (short) (((frame[0] & 0xff) << 8) | (frame[1] & 0xff));
            if (apiKey == END_TXN && toHold.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                heldIds.add(correlationId(frame, 4));
            }
            out.writeInt(frame.length);
            out.write(frame);
            out.flush();
        }
    }

    private void responses(Socket broker, Socket client, Set<Integer> heldIds)
            throws IOException, InterruptedException {
        DataInputStream in = new DataInputStream(broker.getInputStream());
        DataOutputStream out = new DataOutputStream(client.getOutputStream());
        while (true) {
            byte[] frame = frame(in, RESPONSE_HEADER_BYTES_MIN);
            if (heldIds.remove(correlationId(frame, 0))) {
                System.out.println("PROXY: holding an EndTxn response for " + holdMs + " ms");
                held.incrementAndGet();
                Thread.sleep(holdMs);
            }
            out.writeInt(frame.length);
            out.write(frame);
            out.flush();
        }
    }

    /** One Kafka frame without its size prefix, at least as long as the header fields read here. */
    private static byte[] frame(DataInputStream in, int minBytes) throws IOException {
        int size = in.readInt();
        if (size < minBytes || size > FRAME_BYTES_MAX) {
            throw new IOException("frame of " + size + " bytes");
        }
        byte[] frame = new byte[size];
        in.readFully(frame);
        return frame;
    }

    private static int correlationId(byte[] frame, int at) {
        return ((frame[at] & 0xff) << 24)
                | ((frame[at + 1] & 0xff) << 16)
                | ((frame[at + 2] & 0xff) << 8)
                | (frame[at + 3] & 0xff);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        sockets.forEach(StallingKafkaProxy::closeQuietly);
    }
}
