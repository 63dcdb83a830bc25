package com.streamsocial.billing.loadtest;

import com.streamsocial.billing.events.Topics;
import com.streamsocial.billing.stack.TopicReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Test support: polls until a service answers a status, a condition holds, or outcomes have been published. */
final class Await {
    private Await() {}

    /** Whether {@code url} answered {@code status} within {@code timeoutMs}; not listening yet counts as no. */
    static boolean status(HttpClient http, String url, int status, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == status) {
                    return true;
                }
            } catch (java.io.IOException notYet) {
                // Not listening yet.
            }
            Thread.sleep(200);
        }
        return false;
    }

    /** Whether {@code condition} held within {@code timeoutMs}, asked every 200 ms. */
    static boolean until(java.util.concurrent.Callable<Boolean> condition, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (condition.call()) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    /** Waits until payments.results holds at least {@code n} committed outcomes, or fails. */
    static void outcomes(String bootstrap, int n, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (TopicReader.readAll(bootstrap, Topics.RESULTS, true).size() >= n) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("fewer than " + n + " outcomes within " + timeoutMs + " ms");
    }
}
