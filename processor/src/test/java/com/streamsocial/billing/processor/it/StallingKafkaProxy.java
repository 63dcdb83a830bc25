package com.streamsocial.billing.processor.it;

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
 * hold the response to the next EndTxn request (api key 26, the commit or abort of a transaction)
 * for a while after the broker answered: the broker has committed, the client does not know yet.
 * It reads only Kafka's framing (size, api key, correlation id), never the bodies.
 */
final class StallingKafkaProxy implements AutoCloseable {
    private static final short END_TXN = 26;

    private final ServerSocket server;
    private final int targetPort;
    private final AtomicInteger toHold = new AtomicInteger();
    private final AtomicInteger held = new AtomicInteger();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile long holdMs;

    StallingKafkaProxy(int listenPort, int targetPort) throws IOException {
        this.server = new ServerSocket(listenPort, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        Thread acceptor = new Thread(this::accept, "kafka-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Holds the response to each of the next {@code count} EndTxn requests for {@code holdMs}. */
    void holdNextEndTxnResponses(int count, long holdMs) {
        this.holdMs = holdMs;
        toHold.set(count);
    }

    /** EndTxn responses held so far (each released after the hold). */
    int held() {
        return held.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket broker = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                client.setTcpNoDelay(true);
                broker.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(broker);
                Set<Integer> heldIds = ConcurrentHashMap.newKeySet();
                start("kafka-proxy-requests", () -> requests(client, broker, heldIds), client, broker);
                start("kafka-proxy-responses", () -> responses(broker, client, heldIds), client, broker);
            } catch (IOException e) {
                // Closed, or the broker refused: the client sees a closed connection and reconnects.
            }
        }
    }

    private interface Pump {
        void run() throws IOException, InterruptedException;
    }

    private void start(String name, Pump pump, Socket a, Socket b) {
        Thread t = new Thread(
                () -> {
                    try {
                        pump.run();
                    } catch (IOException | InterruptedException e) {
                        // One side closed: close both, as a real network path would break.
                    } finally {
                        closeQuietly(a);
                        closeQuietly(b);
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
            byte[] frame = frame(in);
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
            byte[] frame = frame(in);
            if (heldIds.remove(correlationId(frame, 0))) {
                System.out.println("PROXY: holding an EndTxn response for " + holdMs + " ms");
                Thread.sleep(holdMs);
                held.incrementAndGet();
            }
            out.writeInt(frame.length);
            out.write(frame);
            out.flush();
        }
    }

    private static byte[] frame(DataInputStream in) throws IOException {
        int size = in.readInt();
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
