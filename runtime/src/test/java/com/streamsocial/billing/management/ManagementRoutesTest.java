package com.streamsocial.billing.management;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.metrics.ServiceMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The status follows the health's own verdict; the body is its JSON as encoded, byte for byte. */
class ManagementRoutesTest {
    @Test
    void statusFollowsTheVerdictAndTheBodyIsTheHealthsJson() throws Exception {
        AtomicReference<JsonObject> live = new AtomicReference<>(new JsonObject().put("status", "UP"));
        AtomicReference<JsonObject> ready =
                new AtomicReference<>(new JsonObject().put("ready", false).put("error", (String) null));
        ServiceHealth health = new ServiceHealth() {
            @Override
            public JsonObject liveness() {
                return live.get();
            }

            @Override
            public JsonObject readiness() {
                return ready.get();
            }
        };
        Vertx vertx = Vertx.vertx();
        try (ServiceMetrics metrics = new ServiceMetrics()) {
            Router router = Router.router(vertx);
            ManagementRoutes.mount(router, health, metrics);
            HttpServer server =
                    ManagementRoutes.listen(vertx, router, "127.0.0.1", 0).await(10, TimeUnit.SECONDS);
            int port = server.actualPort();
            // One client, held: Vert.x closes a client nothing refers to any more when it is collected.
            HttpClient client = vertx.createHttpClient();
            assertAnswer(client, port, "/health/live", 200, live.get().encode(), "application/json");
            assertAnswer(client, port, "/health/ready", 503, ready.get().encode(), "application/json");
            live.set(new JsonObject().put("status", "DOWN").put("cause", "X"));
            ready.set(new JsonObject().put("ready", true));
            assertAnswer(client, port, "/health/live", 503, live.get().encode(), "application/json");
            assertAnswer(client, port, "/health/ready", 200, ready.get().encode(), "application/json");
            assertAnswer(client, port, "/metrics", 200, null, ServiceMetrics.CONTENT_TYPE);
        } finally {
            vertx.close();
        }
    }

    private static void assertAnswer(HttpClient client, int port, String path, int status, String body, String type)
            throws Exception {
        AtomicReference<HttpClientResponse> response = new AtomicReference<>();
        // The body is asked for on the event loop, as the answer arrives: later, it is gone.
        String got = client.request(HttpMethod.GET, port, "127.0.0.1", path)
                .compose(req -> req.send())
                .compose(resp -> {
                    response.set(resp);
                    return resp.body();
                })
                .await(10, TimeUnit.SECONDS)
                .toString();
        HttpClientResponse r = response.get();
        assertThat(r.statusCode()).as(path).isEqualTo(status);
        assertThat(r.getHeader("content-type")).as(path).isEqualTo(type);
        if (body != null) {
            assertThat(got).as(path).isEqualTo(body);
        }
    }
}
