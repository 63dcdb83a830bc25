package com.streamsocial.billing.processor.reconcile;

import com.streamsocial.billing.config.Settings;

/** Lets tests in other packages parse reconcile's options from settings, without flags. */
public final class ReconcileCommandAccess {
    private ReconcileCommandAccess() {}

    public static ReconcileOptions parse(Settings settings) {
        return parse(settings, new String[0]);
    }

    public static ReconcileOptions parse(Settings settings, String... args) {
        return ReconcileCommand.parse(args, settings, System.currentTimeMillis());
    }
}
