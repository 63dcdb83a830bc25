package com.streamsocial.billing.gateway.it;

import com.streamsocial.billing.stack.JvmProcess;
import com.streamsocial.billing.stack.LocalInfra;
import java.nio.file.Path;
import java.util.Map;

/** Test support: the gateway as its own JVM, from the real {@code gateway.jar}, killable with SIGKILL. */
final class GatewayProcess {
    private GatewayProcess() {}

    static JvmProcess start(Map<String, String> properties) throws Exception {
        return JvmProcess.start(
                "gateway",
                Path.of(System.getProperty("gateway.jar", "target/gateway.jar")),
                512,
                LocalInfra.singleBroker(properties));
    }
}
