package com.streamsocial.billing.gateway.store;

import com.streamsocial.billing.gateway.ownership.OwnedKind;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * Explicit registration in the ownership registry ({@code POST /v1/customers}): registers ids to a
 * tenant all at once or not at all. Idempotent for the tenant that owns them; refused, with nothing
 * registered, when another tenant owns any of them. Off the hot path: one transaction per call.
 */
public final class OwnerStore {
    /**
     * The no-op update on conflict returns the current owner even when it committed after this
     * statement's snapshot; {@code xmax = 0} tells a row this statement inserted.
     */
    private static final String REGISTER = """
            INSERT INTO owners AS o (kind, id, tenant, registered_by)
            SELECT kind, id, $3, 'api' FROM unnest($1::text[], $2::text[]) AS t(kind, id)
            ORDER BY kind, id
            ON CONFLICT (kind, id) DO UPDATE SET tenant = o.tenant
            RETURNING o.kind, o.id, o.tenant, (o.xmax = 0) AS inserted
            """;

    /** How a registration ended. */
    public enum Outcome {
        /** At least one id is newly registered to the tenant; the others were its own already. */
        CREATED,
        /** Every id was the tenant's already: nothing changed. */
        UNCHANGED,
        /** Another tenant owns at least one id: nothing was registered. */
        OWNED_BY_ANOTHER
    }

    /** One id to register. */
    public record Id(OwnedKind kind, String id) {}

    private static final class OwnedByAnother extends RuntimeException {
        OwnedByAnother() {
            super("owned by another tenant", null, false, false);
        }
    }

    private final Pool pool;

    public OwnerStore(Pool pool) {
        this.pool = pool;
    }

    /** Registers {@code ids} (distinct) to {@code tenant}, in one transaction. */
    public Future<Outcome> register(String tenant, List<Id> ids) {
        String[] kinds = new String[ids.size()];
        String[] values = new String[ids.size()];
        for (int i = 0; i < ids.size(); i++) {
            kinds[i] = ids.get(i).kind().sql;
            values[i] = ids.get(i).id();
        }
        return pool.withTransaction(conn -> conn.preparedQuery(REGISTER)
                        .execute(Tuple.of(kinds, values, tenant))
                        .map(rows -> {
                            List<Boolean> inserted = new ArrayList<>(rows.size());
                            for (Row r : rows) {
                                if (!tenant.equals(r.getString(2))) {
                                    // Rolls the transaction back: none of the ids is registered.
                                    throw new OwnedByAnother();
                                }
                                inserted.add(r.getBoolean(3));
                            }
                            return inserted.contains(true) ? Outcome.CREATED : Outcome.UNCHANGED;
                        }))
                .recover(e -> e instanceof OwnedByAnother
                        ? Future.succeededFuture(Outcome.OWNED_BY_ANOTHER)
                        : Future.failedFuture(e));
    }
}
