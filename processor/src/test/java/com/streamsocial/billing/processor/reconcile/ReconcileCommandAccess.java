package com.streamsocial.billing.processor.reconcile;

import com.streamsocial.billing.config.Settings;

/** Lets tests in other packages parse reconcile's options from settings, without flags. */
public final class ReconcileCommandAccess {
    private ReconcileCommandAccess() {}

    public static ReconcileOptions parse(Settings settings) {
        return ReconcileCommand.parse(new String[0], settings, System.currentTimeMillis());
    }
}
