-- Which tenant owns each customer and payment method (issue 19 §1). All tenants share one provider
-- account, so without this a tenant holding another tenant's cus_/pm_ ids could charge its customers.
-- An id is owned once and forever: by explicit registration (POST /v1/customers, registered_by
-- 'api') or by the first payment that uses it (registered_by 'first_use', unless
-- gateway.ownership.firstUse=false). Ownership never changes, which lets the gateway cache it.
-- The gateway claims and checks owners in its per-batch reservation statement (one round trip per
-- batch): the primary key is the only index, lean on the hot path.
CREATE TABLE owners (
    kind          text        NOT NULL CHECK (kind IN ('customer', 'payment_method')),
    id            text        NOT NULL,
    tenant        text        NOT NULL,
    registered_by text        NOT NULL CHECK (registered_by IN ('api', 'first_use')),
    registered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, id)
);
