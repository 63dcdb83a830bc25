package com.streamsocial.billing.processor.batch;

import com.streamsocial.billing.processor.dedup.StoredPayment;
import io.vertx.core.Future;
import java.util.List;
import java.util.Set;

/**
 * The port that says which stored outcomes are already committed on {@code payments.results}. The
 * orchestrator asks it before re-emitting a stored outcome, so that a billing record read again after
 * its transaction committed emits nothing twice, whatever made the consumer read it again. Fails,
 * rather than guess, when it cannot know within its bound: the batch then fails and is read again.
 */
public interface PublishedOutcomes {
    /** Of {@code payments}, the ids whose outcome is committed on payments.results. */
    Future<Set<String>> committed(List<StoredPayment> payments);
}
