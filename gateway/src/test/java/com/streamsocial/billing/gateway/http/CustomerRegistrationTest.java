package com.streamsocial.billing.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.streamsocial.billing.gateway.ownership.OwnershipConfig;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class CustomerRegistrationTest {
    private static final OwnershipConfig CONFIG = new OwnershipConfig(true, 10, List.of("pm_card_"));

    private static CustomerRegistration.Result validate(String body) {
        return CustomerRegistration.validate("application/json", Buffer.buffer(body), CONFIG);
    }

    private static void refused(String body, int status, String field) {
        Problem p = validate(body).problem();
        assertThat(p).as(body).isNotNull();
        assertThat(p.status()).isEqualTo(status);
        if (field != null) {
            assertThat(p.errors()).extracting(Problem.FieldError::field).contains(field);
        }
    }

    @Test
    void aCustomerWithItsPaymentMethodsDeduplicated() {
        CustomerRegistration.Result r =
                validate("{\"customer_id\":\"cus_1\",\"payment_methods\":[\"pm_1\",\"pm_1\",\"pm_2\"]}");
        assertThat(r.problem()).isNull();
        assertThat(r.request()).isEqualTo(new CustomerRegistration.Request("cus_1", List.of("pm_1", "pm_2")));
        assertThat(validate("{\"customer_id\":\"cus_1\"}").request().paymentMethods())
                .isEmpty();
    }

    @Test
    void badInputIsRefusedNamingTheField() {
        refused("{}", 400, "customer_id");
        refused("{\"customer_id\":\" \"}", 400, "customer_id");
        refused("{\"customer_id\":1}", 400, "customer_id");
        refused("{\"customer_id\":\"c\\u0000\"}", 400, "customer_id");
        refused("{\"customer_id\":\"" + "c".repeat(256) + "\"}", 400, "customer_id");
        refused("{\"customer_id\":\"cus_4242424242424242\"}", 400, "customer_id");
        refused("{\"customer_id\":\"c\",\"colour\":1}", 400, "colour");
        refused("{\"customer_id\":\"c\",\"payment_methods\":\"pm_1\"}", 400, "payment_methods");
        refused("{\"customer_id\":\"c\",\"payment_methods\":[\"pm_card_visa\"]}", 400, "payment_methods[0]");
        refused("{\"customer_id\":\"c\",\"payment_methods\":[\"pm_1\",2]}", 400, "payment_methods[1]");
        StringBuilder many = new StringBuilder("{\"customer_id\":\"c\",\"payment_methods\":[");
        for (int i = 0; i <= CustomerRegistration.PAYMENT_METHODS_MAX; i++) {
            many.append(i == 0 ? "" : ",").append("\"pm_").append(i).append('"');
        }
        refused(many.append("]}").toString(), 400, "payment_methods");
        refused("{\"customer_id\":\"c\",\"customer_id\":\"d\"}", 400, null);
        refused("not json", 400, null);
        assertThat(CustomerRegistration.validate("text/plain", Buffer.buffer("{}"), CONFIG)
                        .problem()
                        .status())
                .isEqualTo(415);
    }
}
