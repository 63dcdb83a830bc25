package com.streamsocial.billing.events;

/** A record on a topic that does not follow the event contract; it goes to the dead-letter topic. */
public final class EventFormatException extends RuntimeException {
    public EventFormatException(String message) {
        super(message);
    }

    public EventFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
