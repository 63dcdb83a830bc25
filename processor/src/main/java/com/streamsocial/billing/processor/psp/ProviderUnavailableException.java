package com.streamsocial.billing.processor.psp;

/**
 * No outcome is known for a charge: the provider kept answering with transient errors (timeouts,
 * 5xx, 429, 409 in use) until the batch's deadline, or its call's turn never came before it ({@link
 * InFlightLimiter.TooLate}). Never an outcome: the batch is retried later.
 */
public class ProviderUnavailableException extends RuntimeException {
    public ProviderUnavailableException(String message) {
        super(message);
    }
}
