package com.streamsocial.billing.processor.reconcile;

import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The comparison of the loaded sources: runs each of {@link BreakQueries} in the session and counts what
 * it finds in the report. Returns the rows found, by class, for the repairs.
 */
final class Comparison {
    private Comparison() {}

    /** Every break of the window, by class; each row is (id, payment_id, details...). */
    static Map<BreakClass, List<Row>> find(ReconcileSession session, ReconcileOptions o, ReconcileReport report)
            throws Exception {
        long settledBeforeMs = System.currentTimeMillis() - o.graceMs();
        Tuple args = Tuple.of(o.fromMs(), o.toMs(), settledBeforeMs, (double) o.stuckAfterMs());
        Map<BreakClass, List<Row>> found = new EnumMap<>(BreakClass.class);
        for (Map.Entry<BreakClass, String> q : BreakQueries.all().entrySet()) {
            List<Row> list = new ArrayList<>();
            for (Row r : session.query(padded(q.getValue()), args)) {
                list.add(r);
                report.add(q.getKey(), r.getString(0), o.idsPerClassMax());
                if (q.getKey() == BreakClass.LAGGING) {
                    report.lagging(r.getString(2));
                }
            }
            found.put(q.getKey(), list);
        }
        return found;
    }

    /** Every query gets the same four parameters; PostgreSQL needs each one used and typed, so pad. */
    private static String padded(String query) {
        String typed = query.replace("$1", "$1::bigint")
                .replace("$2", "$2::bigint")
                .replace("$3", "$3::bigint")
                .replace("$4", "$4::float8");
        return "SELECT * FROM (" + typed + ") x WHERE $1::bigint IS NOT NULL AND $2::bigint IS NOT NULL"
                + " AND $3::bigint IS NOT NULL AND $4::double precision IS NOT NULL";
    }
}
