package com.streamsocial.billing.loadtest;

import com.streamsocial.billing.stack.JvmProcess;
import com.streamsocial.billing.stack.LocalInfra;
import java.nio.file.Path;
import java.util.Map;

/** Test support: the processor as its own JVM, from the real {@code processor.jar}, killable with SIGKILL. */
final class ProcessorProcess {
    private ProcessorProcess() {}

    /**
     * With {@code dev.mode=true} unless {@code properties} say otherwise: these tests run against the
     * sandbox, with its key or the naive guarantees, which are development-only modes (DevModes).
     */
    static JvmProcess start(Map<String, String> properties) throws Exception {
        Map<String, String> p = new java.util.HashMap<>(LocalInfra.singleBroker(properties));
        p.putIfAbsent("dev.mode", "true");
        return JvmProcess.start(
                "processor", Path.of(System.getProperty("processor.jar", "../processor/target/processor.jar")), 512, p);
    }
}
