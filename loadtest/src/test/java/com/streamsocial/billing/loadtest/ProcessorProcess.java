package com.streamsocial.billing.loadtest;

import com.streamsocial.billing.stack.JvmProcess;
import com.streamsocial.billing.stack.LocalInfra;
import java.nio.file.Path;
import java.util.Map;

/** Test support: the processor as its own JVM, from the real {@code processor.jar}, killable with SIGKILL. */
final class ProcessorProcess {
    private ProcessorProcess() {}

    static JvmProcess start(Map<String, String> properties) throws Exception {
        return JvmProcess.start(
                "processor",
                Path.of(System.getProperty("processor.jar", "../processor/target/processor.jar")),
                512,
                LocalInfra.singleBroker(properties));
    }
}
