package com.streamsocial.billing.kafka;

import static com.streamsocial.billing.kafka.ProducerErrors.Action.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TransactionAbortableException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.junit.jupiter.api.Test;

class ProducerErrorsTest {
    @Test
    void fencingAndEpochErrorsRecreateTheProducer() {
        assertThat(ProducerErrors.classify(new ProducerFencedException("x"))).isEqualTo(RECREATE);
        assertThat(ProducerErrors.classify(new InvalidProducerEpochException("x")))
                .isEqualTo(RECREATE);
    }

    @Test
    void abortableAndUnknownErrorsAbortAndGoOn() {
        assertThat(ProducerErrors.classify(new TransactionAbortableException("x")))
                .isEqualTo(ABORT);
        assertThat(ProducerErrors.classify(new KafkaException("x"))).isEqualTo(ABORT);
    }

    @Test
    void authorisationAndVersionErrorsAreFatal() {
        assertThat(ProducerErrors.classify(new TransactionalIdAuthorizationException("x")))
                .isEqualTo(FATAL);
        assertThat(ProducerErrors.classify(new UnsupportedVersionException("x")))
                .isEqualTo(FATAL);
    }

    @Test
    void wrappersAreLookedThrough() {
        assertThat(ProducerErrors.classify(
                        new CompletionException(new ExecutionException(new ProducerFencedException("x")))))
                .isEqualTo(RECREATE);
        assertThat(ProducerErrors.outcomeUnknown(new ExecutionException(new TimeoutException("commit"))))
                .isTrue();
        assertThat(ProducerErrors.outcomeUnknown(new TransactionAbortableException("x")))
                .isFalse();
    }
}
