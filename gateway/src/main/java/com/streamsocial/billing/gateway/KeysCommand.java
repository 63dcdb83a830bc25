package com.streamsocial.billing.gateway;

import com.streamsocial.billing.auth.ApiKeyStore;
import com.streamsocial.billing.config.Settings;
import com.streamsocial.billing.schema.Migrations;
import com.streamsocial.billing.service.CommonSettings;
import com.streamsocial.billing.service.ServiceProcess;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.io.PrintStream;
import java.util.List;

/**
 * {@code gateway.jar keys create TENANT | list | revoke KEY_ID}: API key management against the
 * configured PostgreSQL (migrated first, so it works on a fresh database). A created key is printed
 * once, as the last line; nothing else ever prints a key. Returns the process's exit status.
 */
final class KeysCommand {
    private KeysCommand() {}

    static int run(String[] args, Settings settings, PrintStream out, PrintStream err) {
        List<String> a = List.of(args).subList(1, args.length);
        boolean valid = (a.size() == 2 && (a.get(0).equals("create") || a.get(0).equals("revoke")))
                || (a.size() == 1 && a.get(0).equals("list"));
        if (!valid) {
            err.println("unknown keys command: " + String.join(" ", args));
            err.println(GatewayMain.USAGE);
            return ServiceProcess.EXIT_USAGE;
        }
        Vertx vertx = Vertx.vertx();
        Pool pool;
        try {
            pool = PgBuilder.pool()
                    .with(new PoolOptions().setMaxSize(1))
                    .connectingTo(CommonSettings.pgConnect(settings))
                    .using(vertx)
                    .build();
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            vertx.close().await();
            return ServiceProcess.EXIT_USAGE;
        }
        try {
            Migrations.apply(
                            vertx,
                            CommonSettings.pgUri(settings),
                            CommonSettings.pgConnect(settings).getPassword())
                    .await();
            ApiKeyStore store = new ApiKeyStore(pool);
            switch (a.get(0)) {
                case "create" -> {
                    ApiKeyStore.Created c = store.create(a.get(1)).await();
                    out.println("created key " + c.keyId() + " for tenant " + c.tenant()
                            + "; it is shown this once, store it now:");
                    out.println(c.key());
                }
                case "list" -> {
                    out.println("key_id\ttenant\tcreated_at\trevoked_at");
                    for (ApiKeyStore.KeyInfo k : store.list().await()) {
                        out.println(k.keyId() + "\t" + k.tenant() + "\t" + k.createdAt() + "\t"
                                + (k.revokedAt() == null ? "-" : k.revokedAt()));
                    }
                }
                default -> {
                    if (!store.revoke(a.get(1)).await()) {
                        err.println("no live key has the id " + a.get(1));
                        return GatewayMain.EXIT_NO_SUCH_KEY;
                    }
                    out.println("revoked " + a.get(1) + "; gateways refuse it within 10 seconds");
                }
            }
            return 0;
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return ServiceProcess.EXIT_USAGE;
        } catch (Exception e) {
            err.println("keys " + a.get(0) + " failed: " + e);
            return 1;
        } finally {
            pool.close().await();
            vertx.close().await();
        }
    }
}
