package com.streamsocial.billing.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.events.PaymentIds;
import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.gateway.BatchFaults;
import com.streamsocial.billing.gateway.Gateway;
import com.streamsocial.billing.gateway.GatewayConfig;
import com.streamsocial.billing.gateway.http.RequestValidator;
import com.streamsocial.billing.props.Gens;
import com.streamsocial.billing.props.Props;
import com.streamsocial.billing.stack.FreePorts;
import com.streamsocial.billing.stack.LocalInfra;
import com.streamsocial.billing.stack.Series;
import com.streamsocial.billing.stack.SharedInfra;
import com.streamsocial.billing.stack.TenantKeys;
import com.streamsocial.billing.stack.TopicReader;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.SourceDSL;

/**
 * Generated hostile HTTP through raw sockets (what a well-behaved client refuses to send) to a real
 * gateway: header injection, folded headers, request smuggling shapes, oversize lines, headers and
 * bodies, and slow or half-open connections. Every request gets 4xx problem+json answers only (or,
 * for the slow ones, a close within the read or idle timeout), never a 2xx or 5xx; nothing reaches
 * Kafka; the gateway stays ready and still accepts a normal payment while slow clients hold
 * connections. Each property sends at least its stated number of distinct cases (QuickTheories
 * skips a case it has already run, so each is given a few more).
 */
class HostileHttpIT {
    private static final int READ_TIMEOUT_MS = 1_500;
    private static final int IDLE_TIMEOUT_S = 5;
    /** How long a socket waits for the server's answer or close before the case counts as a hang. */
    private static final int HANG_MS = 15_000;
    /**
     * How long a slow client waits for the server's close: the read timeout with slack for a loaded
     * machine, but below the idle timeout, so that only the read timeout can be what closed it.
     */
    private static final int SLOW_CLOSE_MS = 4_500;

    private static final String BODY =
            "{\"amount\":100,\"currency\":\"EUR\",\"customer_id\":\"cus_hh\",\"payment_method\":\"pm_card_visa\"}";
    private static final Pattern STATUS = Pattern.compile("(?m)^HTTP/1\\.[01] (\\d{3}) ");
    private static final Pattern PROBLEM = Pattern.compile("(?im)^content-type: application/problem\\+json\\r?$");
    private static final AtomicLong seq = new AtomicLong();
    /** Payment id to the key and property that sent it: none of them may reach Kafka. */
    private static final Map<String, String> ids = new ConcurrentHashMap<>();

    private static final ExecutorService slowClients = Executors.newCachedThreadPool();
    private static volatile String currentProperty = "";
    private static LocalInfra infra;
    private static Vertx vertx;
    private static Gateway gateway;
    private static GatewayConfig config;
    private static int port;
    private static String tenant;
    private static String apiKey;
    private static Map<TopicPartition, Long> mark;

    @BeforeAll
    static void start() throws Exception {
        infra = SharedInfra.get();
        tenant = "hostile-http-" + Long.toString(System.nanoTime(), 36);
        apiKey = TenantKeys.create(infra.pgUri(), tenant);
        vertx = Vertx.vertx();
        port = FreePorts.pick();
        Map<String, String> s = new HashMap<>();
        s.put("http.port", String.valueOf(port));
        s.put("http.host", "127.0.0.1");
        s.put("gateway.instanceId", "gateway-hostile-http-it");
        s.put("gateway.producers", "1");
        // A small read timeout, so a slow case costs a second or two; not smaller, as on a loaded machine
        // a normal request's head may take some hundred milliseconds to be read. The idle timeout (which
        // Vert.x applies to a connection waiting for its answer too) stays above a slow commit.
        s.put("http.requestReadTimeoutMs", String.valueOf(READ_TIMEOUT_MS));
        s.put("http.idleTimeoutS", String.valueOf(IDLE_TIMEOUT_S));
        s.put("pg.uri", infra.pgUri());
        s.put("kafka.bootstrap.servers", infra.kafkaBootstrap());
        config = GatewayConfig.from(LocalInfra.singleBrokerSettings(s));
        gateway = Gateway.deploy(vertx, config, BatchFaults.NONE)
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        mark = TopicReader.endOffsets(infra.kafkaBootstrap(), Topics.BILLING);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            assertThat(ids).isNotEmpty();
            // Nothing of this run reached Kafka, and the gateway is still ready.
            List<String> leaked = TopicReader.readFrom(infra.kafkaBootstrap(), Topics.BILLING, mark, false).stream()
                    .map(ConsumerRecord::key)
                    .filter(ids::containsKey)
                    .map(ids::get)
                    .toList();
            assertThat(leaked).as("hostile requests that reached Kafka").isEmpty();
            String ready = exchange(ascii("GET /health/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), false);
            assertThat(ready).startsWith("HTTP/1.1 200");
        } finally {
            slowClients.shutdownNow();
            if (gateway != null) { // null when start failed: let its error be the one reported
                gateway.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    // ---- building and sending raw requests ----

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A fresh Idempotency-Key whose payment must never reach Kafka. */
    private static String hostileKey() {
        String key = "hh-" + seq.incrementAndGet();
        ids.put(PaymentIds.paymentId(tenant, key), key + " " + currentProperty);
        return key;
    }

    /** Header lines in order (each "Name: value", sent byte for byte as ISO-8859-1), then the body. */
    private static byte[] request(String requestLine, List<String> headerLines, byte[] body) {
        StringBuilder head = new StringBuilder(requestLine).append("\r\nHost: x\r\n");
        for (String line : headerLines) {
            head.append(line).append("\r\n");
        }
        head.append("\r\n");
        byte[] h = ascii(head.toString());
        byte[] out = new byte[h.length + body.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(body, 0, out, h.length, body.length);
        return out;
    }

    /** The three API headers with valid values, as a mutable name-to-value map in sending order. */
    private static Map<String, String> apiHeaders() {
        Map<String, String> h = new java.util.LinkedHashMap<>();
        h.put("Authorization", "Bearer " + apiKey);
        h.put("Idempotency-Key", hostileKey());
        h.put("Content-Type", "application/json");
        return h;
    }

    /**
     * Sends the bytes on a new connection and reads until the server closes it. A write or read the
     * server cut short (reset, broken pipe) counts as its close; no close within {@link #HANG_MS} is a
     * hang and fails the case.
     */
    private static String exchange(byte[] bytes, boolean shutdownOutput) throws IOException {
        return exchange(port, bytes, shutdownOutput);
    }

    private static String exchange(int toPort, byte[] bytes, boolean shutdownOutput) throws IOException {
        try (Socket s = new Socket("127.0.0.1", toPort)) {
            s.setSoTimeout(HANG_MS);
            try {
                OutputStream out = s.getOutputStream();
                out.write(bytes);
                out.flush();
                if (shutdownOutput) {
                    s.shutdownOutput();
                }
            } catch (SocketException closedWhileWriting) {
                // The server answered and closed before taking everything: read what it sent.
            }
            return readToClose(s.getInputStream());
        }
    }

    private static String readToClose(InputStream in) throws IOException {
        return readToClose(in, HANG_MS);
    }

    private static String readToClose(InputStream in, int waitMs) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                got.write(buf, 0, n);
            }
        } catch (SocketTimeoutException hang) {
            throw new AssertionError("the server neither answered nor closed within " + waitMs + " ms; got: "
                    + got.toString(StandardCharsets.ISO_8859_1));
        } catch (SocketException reset) {
            // Closed with a reset: still a close.
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    /** Every answer on the connection is a 4xx problem+json (at least {@code answersMin} of them). */
    private static void assertOnly4xxProblems(String what, String response, int answersMin) {
        Matcher m = STATUS.matcher(response);
        int answers = 0;
        while (m.find()) {
            answers++;
            assertThat(Integer.parseInt(m.group(1)))
                    .as(what + " -> " + response)
                    .isBetween(400, 499);
        }
        assertThat(answers).as(what + " -> " + response).isGreaterThanOrEqualTo(answersMin);
        assertThat(PROBLEM.matcher(response).results().count())
                .as("every answer is problem+json: " + what + " -> " + response)
                .isEqualTo(answers);
    }

    private static String printable(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            int c = b & 0xff;
            sb.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
            if (sb.length() > 600) {
                return sb + "...";
            }
        }
        return sb.toString();
    }

    /** A case that talks to the server: its I/O failure fails the case (and is shrunk like one). */
    interface IoCase {
        void run() throws Exception;
    }

    private static void io(IoCase c) {
        try {
            c.run();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** QuickTheories skips repeats: fails unless {@code casesMin} distinct cases ran. */
    private static void assertRan(AtomicInteger ran, int casesMin) {
        // Printed so that CI's log shows the totals the README states.
        System.out.println("HostileHttpIT " + currentProperty + ": " + ran.get() + " distinct cases");
        assertThat(ran.get()).as(currentProperty + ": distinct cases run").isGreaterThanOrEqualTo(casesMin);
    }

    // ---- header injection ----

    /**
     * A control character (NUL, bare CR, bare LF, others), obs-text, or a CRLF followed by something
     * that is not a header line (or by the end of the headers) inside a header's value, or a name,
     * of Idempotency-Key, Authorization, Content-Type or a generated extra header.
     */
    @Test
    void headerInjection() {
        currentProperty = "headerInjection";
        AtomicInteger ran = new AtomicInteger();
        Props.slowCases(2_080)
                .forAll(
                        targets(),
                        injections(),
                        SourceDSL.integers().between(0, 80),
                        SourceDSL.booleans().all())
                .checkAssert((target, injection, position, intoName) -> io(() -> {
                    ran.incrementAndGet();
                    headerInjection(target, injection, position, intoName);
                }));
        assertRan(ran, 2_000);
    }

    private static void headerInjection(String target, String injection, int position, boolean intoName)
            throws IOException {
        Map<String, String> headers = apiHeaders();
        boolean extra = !headers.containsKey(target);
        String value = extra ? "v" + position : headers.get(target);
        int at = Math.min(position, value.length());
        List<String> lines = new ArrayList<>();
        lines.add("Connection: close");
        lines.add("Content-Length: " + BODY.length());
        for (Map.Entry<String, String> h : headers.entrySet()) {
            if (!h.getKey().equals(target)) {
                lines.add(h.getKey() + ": " + h.getValue());
            }
        }
        if (extra && intoName) {
            int nameAt = Math.min(position, target.length() - 1) + 1;
            lines.add(target.substring(0, nameAt) + injection + target.substring(nameAt) + ": " + value);
        } else {
            lines.add(target + ": " + value.substring(0, at) + injection + value.substring(at));
        }
        byte[] bytes = request("POST /v1/payments HTTP/1.1", lines, ascii(BODY));
        assertOnly4xxProblems(printable(bytes), exchange(bytes, false), 1);
    }

    /**
     * Folded header lines (obs-fold) carrying another header: the gateway must never read the folded
     * line as a header of its own. The carried header is missing from the request otherwise, so the
     * request must be refused (no key, no Idempotency-Key, or no JSON media type).
     */
    @Test
    void foldedHeadersSmuggleNothing() {
        currentProperty = "foldedHeadersSmuggleNothing";
        AtomicInteger ran = new AtomicInteger();
        Props.slowCases(630)
                .forAll(apiHeaderNames(), targets(), foldWhitespace())
                .checkAssert((smuggled, carrier, fold) -> io(() -> {
                    ran.incrementAndGet();
                    foldedHeader(smuggled, carrier, fold);
                }));
        assertRan(ran, 600);
    }

    private static void foldedHeader(String smuggled, String carrier, String fold) throws IOException {
        Map<String, String> headers = apiHeaders();
        String smuggledLine = smuggled + ": " + headers.remove(smuggled);
        if (carrier.equals(smuggled)) {
            carrier = "X-Carrier";
        }
        headers.merge(carrier, "v", (a, b) -> a);
        headers.put(carrier, headers.get(carrier) + "\r\n" + fold + smuggledLine);
        List<String> lines = new ArrayList<>();
        lines.add("Connection: close");
        lines.add("Content-Length: " + BODY.length());
        headers.forEach((k, v) -> lines.add(k + ": " + v));
        byte[] bytes = request("POST /v1/payments HTTP/1.1", lines, ascii(BODY));
        assertOnly4xxProblems(printable(bytes), exchange(bytes, false), 1);
    }

    enum Smuggle {
        CONTENT_LENGTH_TWICE,
        CONTENT_LENGTH_LIST,
        CHUNKED_AND_CONTENT_LENGTH,
        OTHER_TRANSFER_ENCODING,
        TRANSFER_ENCODING_TWICE,
        BAD_CHUNK_SIZE
    }

    /**
     * Request smuggling shapes, each followed on the same kept-alive connection by a complete,
     * authenticated payment that a front proxy framing the request differently would see as the
     * body: it must never be accepted, and nothing but 4xx problems comes back.
     */
    @Test
    void requestSmugglingShapes() {
        AtomicInteger ran = new AtomicInteger();
        Props.slowCases(630)
                .forAll(
                        SourceDSL.arbitrary().enumValues(Smuggle.class),
                        transferEncodings(),
                        SourceDSL.integers().between(1, 10_000),
                        chunkSizes())
                .checkAssert((shape, otherCoding, n, chunkSize) -> io(() -> {
                    ran.incrementAndGet();
                    smuggle(shape, otherCoding, n, chunkSize);
                }));
        currentProperty = "requestSmugglingShapes";
        assertRan(ran, 600);
    }

    private static void smuggle(Smuggle shape, String otherCoding, int n, String chunkSize) throws IOException {
        currentProperty = "requestSmugglingShapes " + shape + " outer";
        Map<String, String> headers = apiHeaders();
        List<String> lines = new ArrayList<>();
        headers.forEach((k, v) -> lines.add(k + ": " + v));
        currentProperty = "requestSmugglingShapes " + shape + " inner";
        // The payment smuggled after (or inside) the first request: complete and otherwise acceptable.
        String inner = new String(
                request(
                        "POST /v1/payments HTTP/1.1",
                        List.of(
                                "Authorization: Bearer " + apiKey,
                                "Idempotency-Key: " + hostileKey(),
                                "Content-Type: application/json",
                                "Content-Length: " + BODY.length()),
                        ascii(BODY)),
                StandardCharsets.ISO_8859_1);
        String body;
        switch (shape) {
            case CONTENT_LENGTH_TWICE -> {
                lines.add("Content-Length: " + BODY.length());
                lines.add("Content-Length: " + (BODY.length() + n));
                body = BODY + inner;
            }
            case CONTENT_LENGTH_LIST -> {
                lines.add("Content-Length: " + BODY.length() + ", " + (BODY.length() + n));
                body = BODY + inner;
            }
            case CHUNKED_AND_CONTENT_LENGTH -> {
                // By Content-Length the smuggled payment is the body; by chunked it is the next request.
                lines.add("Content-Length: " + (5 + inner.length()));
                lines.add("Transfer-Encoding: chunked");
                body = "0\r\n\r\n" + inner;
            }
            case OTHER_TRANSFER_ENCODING -> {
                lines.add("Transfer-Encoding: " + otherCoding);
                body = inner;
            }
            case TRANSFER_ENCODING_TWICE -> {
                lines.add("Transfer-Encoding: chunked");
                lines.add("Transfer-Encoding: " + otherCoding);
                body = "0\r\n\r\n" + inner;
            }
            default -> {
                lines.add("Transfer-Encoding: chunked");
                body = chunkSize + "\r\n" + BODY + "\r\n0\r\n\r\n" + inner;
            }
        }
        java.util.Collections.shuffle(lines, new java.util.Random(n));
        byte[] bytes = request("POST /v1/payments HTTP/1.1", lines, ascii(body));
        // A chunk size the codec cannot read ends the connection; it may do so without an answer.
        assertOnly4xxProblems(printable(bytes), exchange(bytes, false), shape == Smuggle.BAD_CHUNK_SIZE ? 0 : 1);
    }

    // ---- oversize ----

    enum Oversize {
        URL,
        ONE_HEADER,
        HEADER_BLOCK,
        HEADER_COUNT,
        BODY,
        CHUNKED_BODY
    }

    /** Past each limit by a generated amount: 414, 431, 431, 431, 413, 413. */
    @Test
    void oversizeEverything() {
        AtomicInteger ran = new AtomicInteger();
        Props.slowCases(1_040)
                .forAll(
                        SourceDSL.arbitrary().enumValues(Oversize.class),
                        SourceDSL.integers().between(1, 20_000),
                        targets())
                .checkAssert((what, excess, target) -> io(() -> {
                    ran.incrementAndGet();
                    oversize(what, excess, target);
                }));
        currentProperty = "oversizeEverything";
        assertRan(ran, 1_000);
    }

    private static void oversize(Oversize what, int excess, String target) throws IOException {
        currentProperty = "oversizeEverything " + what;
        Map<String, String> headers = apiHeaders();
        List<String> lines = new ArrayList<>();
        lines.add("Connection: close");
        String requestLine = "POST /v1/payments HTTP/1.1";
        byte[] body = ascii(BODY);
        int expected;
        switch (what) {
            case URL -> {
                String path = "/v1/payments?q=" + "a".repeat(config.httpRequestLineBytesMax() + excess);
                requestLine = "POST " + path + " HTTP/1.1";
                expected = 414;
            }
            case ONE_HEADER -> {
                headers.put(target, "v" + "a".repeat(config.httpHeaderBytesMax() + excess));
                expected = 431;
            }
            case HEADER_BLOCK -> {
                // Fewer fields than the count limit, together over the size limit.
                int fields = config.httpHeadersCountMax() / 2;
                int each = (config.httpHeaderBytesMax() + excess) / fields + 1;
                for (int i = 0; i < fields; i++) {
                    lines.add("X-Pad-" + i + ": " + "b".repeat(each));
                }
                expected = 431;
            }
            case HEADER_COUNT -> {
                // Tiny fields: the block stays under its byte limit.
                int fields = config.httpHeadersCountMax() + 1 + excess % 200;
                for (int i = 0; i < fields; i++) {
                    lines.add("X-" + i + ": c");
                }
                expected = 431;
            }
            case BODY -> {
                body = padded(RequestValidator.BODY_BYTES_MAX + 1 + excess);
                expected = 413;
            }
            default -> {
                byte[] big = padded(RequestValidator.BODY_BYTES_MAX + 1 + excess);
                ByteArrayOutputStream chunked = new ByteArrayOutputStream();
                int step = 1 + excess % 4_096;
                for (int off = 0; off < big.length; off += step) {
                    int len = Math.min(step, big.length - off);
                    chunked.writeBytes(ascii(Integer.toHexString(len) + "\r\n"));
                    chunked.write(big, off, len);
                    chunked.writeBytes(ascii("\r\n"));
                }
                chunked.writeBytes(ascii("0\r\n\r\n"));
                body = chunked.toByteArray();
                lines.add("Transfer-Encoding: chunked");
                expected = 413;
            }
        }
        if (what != Oversize.CHUNKED_BODY) {
            lines.add("Content-Length: " + body.length);
        }
        headers.forEach((k, v) -> lines.add(k + ": " + v));
        byte[] bytes = request(requestLine, lines, body);
        String response = exchange(bytes, false);
        String shown = what + " " + printable(java.util.Arrays.copyOf(bytes, 200));
        assertOnly4xxProblems(shown, response, 1);
        assertThat(response).as(shown).containsPattern("^HTTP/1\\.[01] " + expected + " ");
    }

    /** A valid JSON payment padded with spaces to exactly {@code size} bytes. */
    private static byte[] padded(int size) {
        return ascii(BODY.substring(0, BODY.length() - 1) + " ".repeat(size - BODY.length()) + "}");
    }

    // ---- slow and half-open connections ----

    enum Slow {
        /** Sends a prefix of a valid payment, then nothing. */
        HOLD,
        /** Sends the prefix in pieces with pauses, then nothing. */
        TRICKLE,
        /** Sends the prefix, then shuts its write side down (half-open). */
        HALF_CLOSE
    }

    record SlowClient(Slow kind, int cutPermille, int pauseMs, int pieces) {}

    /**
     * A generated number of slow clients hold connections at once; meanwhile a normal payment is
     * accepted, and afterwards every slow connection has been closed by the server within the read
     * timeout (each waits {@link #SLOW_CLOSE_MS}, less than the idle timeout), with nothing but 4xx
     * problems on it.
     */
    @Test
    void slowAndHalfOpenConnectionsAreClosedAndDoNotBlockPayments() {
        currentProperty = "slowAndHalfOpenConnections";
        AtomicInteger ran = new AtomicInteger();
        // 14 given: the first cases QuickTheories tries (the shrink target, then the minima) may coincide.
        Props.slowCases(14)
                .forAll(slowClients())
                .checkAssert(clients -> io(() -> {
                    ran.incrementAndGet();
                    slowRound(clients);
                }));
        assertRan(ran, 12);
    }

    private static void slowRound(List<SlowClient> clients) throws Exception {
        List<Future<String>> held = new ArrayList<>();
        java.util.concurrent.CountDownLatch sent = new java.util.concurrent.CountDownLatch(clients.size());
        for (SlowClient c : clients) {
            held.add(slowClients.submit(() -> slow(c, sent)));
        }
        // A normal payment while they hold their connections (each has sent what it will send at once).
        sent.await(HANG_MS, TimeUnit.MILLISECONDS);
        long t0 = System.nanoTime();
        String accepted = exchange(
                request(
                        "POST /v1/payments HTTP/1.1",
                        List.of(
                                "Connection: close",
                                "Authorization: Bearer " + apiKey,
                                "Idempotency-Key: normal-" + seq.incrementAndGet(),
                                "Content-Type: application/json",
                                "Content-Length: " + BODY.length()),
                        ascii(BODY)),
                false);
        assertThat(accepted)
                .as("with " + clients.size() + " slow clients, after " + (System.nanoTime() - t0) / 1_000_000 + " ms; "
                        + connectionMeters())
                .startsWith("HTTP/1.1 202 ");
        for (int i = 0; i < held.size(); i++) {
            String response = held.get(i).get(2L * HANG_MS, TimeUnit.MILLISECONDS);
            SlowClient c = clients.get(i);
            assertOnly4xxProblems(c.toString(), response, 0);
        }
    }

    /** The gateway's connection meters, to explain a refused connection. */
    private static String connectionMeters() throws IOException {
        String metrics = exchange(
                gateway.managementPort(),
                ascii("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
                false);
        return metrics.lines()
                .filter(l -> l.startsWith("gateway_connections") || l.startsWith("gateway_request_read"))
                .toList()
                .toString();
    }

    private static String slow(SlowClient c, java.util.concurrent.CountDownLatch sent) throws IOException {
        byte[] full = request(
                "POST /v1/payments HTTP/1.1",
                List.of(
                        "Authorization: Bearer " + apiKey,
                        "Idempotency-Key: " + hostileKey(),
                        "Content-Type: application/json",
                        "Content-Length: " + BODY.length()),
                ascii(BODY));
        // Any proper prefix: from nothing at all to all but the last body byte.
        int cut = (int) ((long) c.cutPermille() * full.length / 1_000);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(HANG_MS);
            OutputStream out = s.getOutputStream();
            try {
                if (c.kind() == Slow.TRICKLE) {
                    sent.countDown();
                    int step = Math.max(1, cut / c.pieces());
                    for (int off = 0; off < cut; off += step) {
                        out.write(full, off, Math.min(step, cut - off));
                        out.flush();
                        Thread.sleep(c.pauseMs());
                    }
                } else {
                    out.write(full, 0, cut);
                    out.flush();
                }
                if (c.kind() == Slow.HALF_CLOSE) {
                    s.shutdownOutput();
                }
                sent.countDown();
            } catch (SocketException closedWhileWriting) {
                sent.countDown();
                // Closed by the server mid-trickle: what the case wants.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            s.setSoTimeout(SLOW_CLOSE_MS);
            return readToClose(s.getInputStream(), SLOW_CLOSE_MS);
        }
    }

    // ---- unauthenticated slow bodies, slow later requests, a flood of both ----

    /** What an unauthenticated request carries in its Authorization header. */
    enum Unauthenticated {
        MISSING,
        NOT_BEARER,
        UNKNOWN_KEY
    }

    record SlowBody(Unauthenticated auth, long contentLength, int bodyBytesSent) {}

    /**
     * An unauthenticated POST announcing a body of any length up to 10^12 bytes, of which it sends a
     * few, then waits with the connection open: the answer is a 401 problem with {@code Connection:
     * close}, and the server closes the connection, instead of draining the body at the client's pace
     * (the wait is below the idle timeout, so only the refusal can be what closed it).
     */
    @Test
    void unauthenticatedSlowBodiesGetA401AndTheirConnectionClosed() {
        currentProperty = "unauthenticatedSlowBodies";
        AtomicInteger ran = new AtomicInteger();
        Props.slowCases(24)
                .forAll(SourceDSL.arbitrary()
                        .enumValues(Unauthenticated.class)
                        .zip(
                                SourceDSL.longs().between(1, 1_000_000_000_000L),
                                SourceDSL.integers().between(0, 64),
                                (a, length, sent) -> new SlowBody(a, length, (int) Math.min(sent, length - 1))))
                .checkAssert(c -> io(() -> {
                    ran.incrementAndGet();
                    String response = slowUnauthenticated(c);
                    assertThat(response).as(c.toString()).startsWith("HTTP/1.1 401 ");
                    assertThat(response).as(c.toString()).containsPattern("(?im)^connection: close\\r?$");
                    assertOnly4xxProblems(c.toString(), response, 1);
                }));
        assertRan(ran, 20);
    }

    /** Sends the head and {@code bodyBytesSent} body bytes, keeps the connection open, reads to its close. */
    private static String slowUnauthenticated(SlowBody c) throws IOException {
        List<String> headers = new ArrayList<>();
        switch (c.auth()) {
            case MISSING -> {}
            case NOT_BEARER -> headers.add("Authorization: Basic dXNlcjpwYXNz");
            case UNKNOWN_KEY -> headers.add("Authorization: Bearer sk_live_" + "7".repeat(40));
        }
        headers.add("Idempotency-Key: " + hostileKey());
        headers.add("Content-Type: application/json");
        headers.add("Content-Length: " + c.contentLength());
        byte[] bytes = request("POST /v1/payments HTTP/1.1", headers, ascii("{".repeat(c.bodyBytesSent())));
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(SLOW_CLOSE_MS);
            try {
                s.getOutputStream().write(bytes);
                s.getOutputStream().flush();
            } catch (SocketException closedWhileWriting) {
                // Answered and closed before taking it all.
            }
            return readToClose(s.getInputStream(), SLOW_CLOSE_MS);
        }
    }

    record SlowLater(String firstPath, int pieces, int pauseMs) {}

    /**
     * A kept-alive connection whose first request is answered, then whose next request's head arrives
     * a piece at a time and never completes: the read deadline closes it, counted in {@code
     * gateway.request.read.timeouts} (the idle timeout, which would close it later, counts nothing),
     * and the incomplete request gets no answer.
     */
    @Test
    void aSlowLaterRequestOnAKeptAliveConnectionIsClosedByTheReadDeadline() {
        currentProperty = "slowLaterRequests";
        AtomicInteger ran = new AtomicInteger();
        Props.slowCases(8)
                .forAll(SourceDSL.arbitrary()
                        .pick(List.of("/health/live", "/health/ready", "/openapi.json"))
                        .zip(
                                SourceDSL.integers().between(2, 5),
                                SourceDSL.integers().between(150, 400),
                                SlowLater::new))
                .checkAssert(c -> io(() -> {
                    ran.incrementAndGet();
                    slowLater(c);
                }));
        assertRan(ran, 6);
    }

    private static void slowLater(SlowLater c) throws Exception {
        byte[] later = ascii("POST /v1/payments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + apiKey
                + "\r\nIdempotency-Key: " + hostileKey() + "\r\nContent-Type: application/json\r\nX-Pad: ");
        // The trickle outlasts the idle timeout: only a close can end it early.
        long trickleMs = IDLE_TIMEOUT_S * 1_000L + 2L * READ_TIMEOUT_MS;
        double timeoutsBefore = Series.counter(gateway.metrics(), "gateway.request.read.timeouts");
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(HANG_MS);
            OutputStream out = s.getOutputStream();
            out.write(ascii("GET " + c.firstPath() + " HTTP/1.1\r\nHost: x\r\n\r\n"));
            out.flush();
            java.io.InputStream in = s.getInputStream();
            Future<String> rest = slowClients.submit(() -> readToClose(in, HANG_MS));
            boolean stoppedByClose = false;
            long started = System.nanoTime();
            int off = 0;
            try {
                while (!rest.isDone()) {
                    if ((System.nanoTime() - started) / 1_000_000 > trickleMs) {
                        break;
                    }
                    if (off < later.length) {
                        int n = Math.max(1, Math.min(later.length - off, later.length / c.pieces()));
                        out.write(later, off, n);
                        off += n;
                    } else {
                        out.write('x'); // more of the X-Pad value: the head never ends
                    }
                    out.flush();
                    Thread.sleep(c.pauseMs());
                }
            } catch (SocketException closedWhileWriting) {
                stoppedByClose = true;
            }
            boolean trickling = stoppedByClose || (System.nanoTime() - started) / 1_000_000 <= trickleMs;
            String got = rest.get(HANG_MS, TimeUnit.MILLISECONDS);
            assertThat(trickling)
                    .as("closed by the server while the later request was still trickling; got " + got)
                    .isTrue();
            assertThat(Series.counter(gateway.metrics(), "gateway.request.read.timeouts") - timeoutsBefore)
                    .as("closed by the read deadline, not the idle timeout")
                    .isEqualTo(1.0);
            Matcher m = STATUS.matcher(got);
            assertThat(m.find()).as(got).isTrue();
            assertThat(m.group(1)).as("the first request's answer").isEqualTo("200");
            assertThat(m.find())
                    .as("no answer to the later, incomplete request: " + got)
                    .isFalse();
        }
    }

    /**
     * 1,200 connections each send an unauthenticated POST announcing 10^12 bytes of body and send one,
     * and keep their sockets open; then a normal payment on a new connection still gets its 202.
     * Before it, every flooding connection is
     * closed by the server, answered by one 401 (or 503) problem with {@code Connection: close}, or
     * (over a connection cap) not at all.
     */
    @Test
    void aFloodOfUnauthenticatedHugeBodiesLeavesRoomForAPayment() throws Exception {
        currentProperty = "unauthenticatedFlood";
        int flood = 1_200;
        List<Socket> sockets = new ArrayList<>();
        try {
            byte[] head = request(
                    "POST /v1/payments HTTP/1.1",
                    List.of(
                            "Authorization: Bearer sk_live_" + "9".repeat(40),
                            "Idempotency-Key: " + hostileKey(),
                            "Content-Type: application/json",
                            "Content-Length: 1000000000000"),
                    ascii("{"));
            for (int i = 0; i < flood; i++) {
                Socket s = new Socket("127.0.0.1", port);
                sockets.add(s);
                try {
                    s.getOutputStream().write(head);
                    s.getOutputStream().flush();
                } catch (SocketException closedAtOnce) {
                    // Over a connection cap: closed before the request was taken.
                }
            }
            int answered = 0;
            for (Socket s : sockets) {
                s.setSoTimeout(HANG_MS);
                String got = readToClose(s.getInputStream());
                if (!got.isEmpty()) {
                    answered++;
                    // 401; 429 auth-throttled once the address has spent its budget of refused keys; or
                    // 503 auth_unavailable once the lookups' bounded queue is full.
                    assertThat(got).as("flood").matches("(?s)HTTP/1\\.1 (401|429|503) .*");
                    assertThat(PROBLEM.matcher(got).results().count())
                            .as("flood: " + got)
                            .isEqualTo(1);
                    assertThat(got).as("flood").containsPattern("(?im)^connection: close\\r?$");
                }
            }
            // The flood's clients still hold their sockets open: nothing of theirs holds the gateway's.
            String accepted = exchange(
                    request(
                            "POST /v1/payments HTTP/1.1",
                            List.of(
                                    "Connection: close",
                                    "Authorization: Bearer " + apiKey,
                                    "Idempotency-Key: flood-" + seq.incrementAndGet(),
                                    "Content-Type: application/json",
                                    "Content-Length: " + BODY.length()),
                            ascii(BODY)),
                    false);
            assertThat(accepted)
                    .as("a payment after " + flood + " flooding connections; " + connectionMeters())
                    .startsWith("HTTP/1.1 202 ");
            System.out.println("HostileHttpIT unauthenticatedFlood: " + answered + " of " + flood
                    + " answered 401/503 and closed, the rest closed at once; " + connectionMeters());
            assertThat(answered).as("the flood reached the authentication").isPositive();
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    // ---- generators ----

    /** The three API headers about one case in four, else a generated X- header. */
    private static Gen<String> targets() {
        return Gens.oneOf(
                apiHeaderNames(),
                Gens.strings(Gens.charsOf("abcdefghijklmnopqrstuvwxyz-09"), 1, 20)
                        .map(s -> "X-" + s),
                Gens.strings(Gens.charsOf("abcdefghijklmnopqrstuvwxyz-09"), 1, 20)
                        .map(s -> "X-" + s),
                Gens.strings(Gens.charsOf("abcdefghijklmnopqrstuvwxyz-09"), 1, 20)
                        .map(s -> "X-" + s));
    }

    private static Gen<String> apiHeaderNames() {
        return Gens.of("Idempotency-Key", "Authorization", "Content-Type");
    }

    private static Gen<String> injections() {
        Gen<String> controls =
                Gens.chars((char) 0, (char) 0x1f).assuming(ch -> ch != '\t').map(ch -> String.valueOf(ch));
        Gen<String> del = Gens.of("\u007f");
        Gen<String> obsText = Gens.strings(Gens.chars((char) 0x80, (char) 0xff), 1, 3);
        Gen<String> notAHeaderLine = Gens.strings(Gens.charsOf("abcdefghijklmnopqrstuvwxyz =/"), 1, 12)
                .assuming(s -> !s.startsWith(" "))
                .map(s -> "\r\n" + s);
        Gen<String> emptyName = Gens.strings(Gens.chars('a', 'z'), 0, 8).map(s -> "\r\n:" + s);
        return Gens.oneOf(controls, del, obsText, notAHeaderLine, emptyName, Gens.of("\r\n\r\n", "\r\r\n", "\n\r"));
    }

    /** Spaces and tabs, 1 to 8 of them (obs-fold allows any run). */
    private static Gen<String> foldWhitespace() {
        return Gens.strings(Gens.charsOf(" \t"), 1, 8);
    }

    private static Gen<String> transferEncodings() {
        return Gens.of(
                "gzip",
                "identity",
                "xchunked",
                "chunked, chunked",
                "chunked, gzip",
                "gzip, chunked, identity",
                "compress",
                "deflate",
                "chunked;foo=bar",
                "chunkedx",
                "chu nked");
    }

    private static Gen<String> chunkSizes() {
        return Gens.oneOf(
                Gens.of("-1", "zz", "0x10", "ffffffffffffffffffff", "", " ", "1;", "+5"),
                Gens.strings(Gens.chars('g', 'z'), 1, 6));
    }

    private static Gen<List<SlowClient>> slowClients() {
        Gen<SlowClient> one = SourceDSL.arbitrary()
                .enumValues(Slow.class)
                .zip(
                        SourceDSL.integers().between(0, 999),
                        SourceDSL.integers().between(0, 60),
                        SourceDSL.integers().between(2, 6),
                        SlowClient::new);
        return SourceDSL.lists().of(one).ofSizeBetween(1, 60);
    }
}
