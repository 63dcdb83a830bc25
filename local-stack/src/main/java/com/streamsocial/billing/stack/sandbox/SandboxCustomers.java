package com.streamsocial.billing.stack.sandbox;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sandbox's Stripe customers and saved payment methods, in memory (a sandbox restart forgets
 * them): {@code POST /v1/customers} (form: {@code metadata[...]}, {@code email}, {@code description}),
 * {@code GET /v1/customers/{id}}, {@code POST /v1/payment_methods/{id}/attach} ({@code customer=};
 * attaching a shared test token {@code pm_card_…} makes a new {@code pm_…} from it, as Stripe does) and
 * {@code GET /v1/payment_methods/{id}}, in Stripe's shapes. A saved method charges as its test token,
 * and only with its customer.
 */
final class SandboxCustomers {
    private final Map<String, JsonObject> customers = new ConcurrentHashMap<>();
    private final Map<String, JsonObject> methods = new ConcurrentHashMap<>();

    /** The routes, each behind {@code authorised}. */
    void routes(Router router, Handler<RoutingContext> authorised) {
        router.post("/v1/customers").handler(authorised).handler(this::createCustomer);
        router.get("/v1/customers/:id").handler(authorised).handler(this::retrieveCustomer);
        router.post("/v1/payment_methods/:id/attach").handler(authorised).handler(this::attach);
        router.get("/v1/payment_methods/:id").handler(authorised).handler(this::retrieveMethod);
    }

    private void createCustomer(RoutingContext ctx) {
        MultiMap form = ctx.request().formAttributes();
        String id = "cus_" + SandboxProvider.randomId();
        JsonObject c = new JsonObject()
                .put("id", id)
                .put("object", "customer")
                .put("created", System.currentTimeMillis() / 1000)
                .put("email", form.get("email"))
                .put("description", form.get("description"))
                .put("livemode", false)
                .put("metadata", SandboxProvider.metadata(form));
        customers.put(id, c);
        send(ctx, 200, c);
    }

    private void retrieveCustomer(RoutingContext ctx) {
        JsonObject c = customers.get(ctx.pathParam("id"));
        if (c == null) {
            missing(ctx, "customer", ctx.pathParam("id"), "id");
        } else {
            send(ctx, 200, c);
        }
    }

    private void attach(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        String customer = ctx.request().formAttributes().get("customer");
        if (customer == null || !customers.containsKey(customer)) {
            missing(ctx, "customer", String.valueOf(customer), "customer");
            return;
        }
        JsonObject m;
        if (id.startsWith("pm_card_")) {
            m = method("pm_" + SandboxProvider.randomId(), id);
        } else {
            m = methods.get(id);
            if (m == null) {
                missing(ctx, "PaymentMethod", id, "payment_method");
                return;
            }
            if (m.getValue("customer") != null && !customer.equals(m.getValue("customer"))) {
                send(
                        ctx,
                        400,
                        SandboxProvider.errorBody(
                                "invalid_request_error",
                                "payment_method_unexpected_state",
                                "The payment method you provided has already been attached to a customer.",
                                null));
                return;
            }
        }
        m.put("customer", customer);
        methods.put(m.getString("id"), m);
        send(ctx, 200, m);
    }

    private static JsonObject method(String id, String token) {
        return new JsonObject()
                .put("id", id)
                .put("object", "payment_method")
                .put("type", "card")
                .put("created", System.currentTimeMillis() / 1000)
                .put("livemode", false)
                .put("customer", (String) null)
                .put("metadata", new JsonObject().put("sandbox_token", token));
    }

    private void retrieveMethod(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        JsonObject m = methods.get(id);
        if (m == null && (id.startsWith("pm_card_") || id.startsWith("pm_sandbox_"))) {
            // A shared test token: a payment method of no customer.
            send(ctx, 200, method(id, id));
        } else if (m == null) {
            missing(ctx, "PaymentMethod", id, "payment_method");
        } else {
            send(ctx, 200, m);
        }
    }

    /** The test token a saved method charges as, or null when {@code method} is not a saved one. */
    String tokenOf(String method) {
        JsonObject m = methods.get(method);
        return m == null ? null : m.getJsonObject("metadata").getString("sandbox_token");
    }

    /** The customer a saved method is attached to, or null. */
    String customerOf(String method) {
        JsonObject m = methods.get(method);
        return m == null ? null : m.getString("customer");
    }

    private static void missing(RoutingContext ctx, String what, String id, String param) {
        send(
                ctx,
                404,
                SandboxProvider.errorBody(
                        "invalid_request_error", "resource_missing", "No such " + what + ": '" + id + "'", param));
    }

    private static void send(RoutingContext ctx, int status, JsonObject body) {
        ctx.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end(body.encode());
    }
}
