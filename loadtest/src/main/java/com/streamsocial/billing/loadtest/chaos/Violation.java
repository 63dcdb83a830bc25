package com.streamsocial.billing.loadtest.chaos;

/** One broken rule of a chaos run: the rule's name, the id it concerns (payment, partition) and what was seen. */
public record Violation(String rule, String id, String detail) {
    @Override
    public String toString() {
        return rule + " " + id + ": " + detail;
    }
}
