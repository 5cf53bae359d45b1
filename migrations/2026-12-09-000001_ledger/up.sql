-- The ledger (kernel `ledger`): accounts, immutable journal entries and their postings, and the
-- commission rates; settlement (feature `settlement`): statements, payouts, payout accounts and
-- holds, and the reconciliation of the providers' trade bills. docs/ledger.md has the chart of
-- accounts and the posting of each event.

CREATE TABLE ledger_accounts (
    id             uuid PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('provider_clearing', 'order_escrow',
                       'merchant_payable', 'merchant_receivable', 'commission_revenue',
                       'compensation_expense', 'subsidy_expense', 'refunds_pending',
                       'payouts_in_transit')),
    -- The merchant of a merchant's account; platform accounts have none.
    merchant_id    uuid REFERENCES merchants (id),
    -- +1: the balance grows with debits (assets, expenses); -1: with credits (what is owed,
    -- revenue).
    normal_side    smallint NOT NULL CHECK (normal_side IN (1, -1)),
    -- Kept (by the postings trigger) for the merchant accounts, which are locked and must not
    -- go below zero; the platform accounts are summed from their postings instead, so that no
    -- single row is written by every payment.
    balance_cents  bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_accounts_not_negative CHECK (balance_cents >= 0),
    CONSTRAINT ledger_accounts_owner
        CHECK ((merchant_id IS NOT NULL) = (kind IN ('merchant_payable', 'merchant_receivable'))),
    CONSTRAINT ledger_accounts_one_per_kind UNIQUE NULLS NOT DISTINCT (kind, merchant_id)
);

-- The platform's accounts, with fixed ids (src/ledger/accounts.rs).
INSERT INTO ledger_accounts (id, kind, normal_side) VALUES
    ('00000000-0000-0000-0000-00000000a001', 'provider_clearing', 1),
    ('00000000-0000-0000-0000-00000000a002', 'order_escrow', -1),
    ('00000000-0000-0000-0000-00000000a003', 'commission_revenue', -1),
    ('00000000-0000-0000-0000-00000000a004', 'compensation_expense', 1),
    ('00000000-0000-0000-0000-00000000a005', 'subsidy_expense', 1),
    ('00000000-0000-0000-0000-00000000a006', 'refunds_pending', -1),
    ('00000000-0000-0000-0000-00000000a007', 'payouts_in_transit', -1);

CREATE TABLE ledger_entries (
    id            uuid PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('payment', 'refund', 'refund_paid',
                      'refund_reversal', 'release', 'offset', 'payout', 'payout_paid',
                      'payout_returned', 'correction')),
    -- What makes the event happen once: posting the same key again posts nothing.
    key           text UNIQUE,
    merchant_id   uuid REFERENCES merchants (id),
    subject_kind  text CHECK (subject_kind IN ('order', 'booking', 'payout')),
    subject_id    uuid,
    -- The provider that moved the money, and its id of the transaction, refund or transfer.
    provider      text CHECK (provider IN ('wechat', 'alipay')),
    reference     text,
    memo          text NOT NULL,
    -- When it happened at the provider (a payment's paid time), for reconciliation; the ledger's
    -- own days (statements) go by posted_at.
    occurred_at   timestamptz NOT NULL,
    posted_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entries_merchant_day ON ledger_entries (merchant_id, posted_at);
CREATE INDEX ledger_entries_subject ON ledger_entries (subject_id, kind);
CREATE INDEX ledger_entries_reference ON ledger_entries (reference) WHERE reference IS NOT NULL;
CREATE INDEX ledger_entries_occurred ON ledger_entries (provider, occurred_at)
    WHERE provider IS NOT NULL;

CREATE TABLE ledger_postings (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id      uuid NOT NULL REFERENCES ledger_entries (id),
    account_id    uuid NOT NULL REFERENCES ledger_accounts (id),
    -- Debits positive, credits negative; the postings of an entry sum to zero.
    amount_cents  bigint NOT NULL CHECK (amount_cents <> 0),
    -- The order, booking or payout the money belongs to (escrow is held per subject).
    subject_id    uuid,
    posted_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_postings_entry ON ledger_postings (entry_id);
CREATE INDEX ledger_postings_account_subject ON ledger_postings (account_id, subject_id);
CREATE INDEX ledger_postings_account_time ON ledger_postings (account_id, posted_at);

-- Every entry sums to zero and has at least two postings, checked at commit (the postings of
-- one entry are written one statement after the entry).
CREATE FUNCTION ledger_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    n     bigint;
    eid   uuid := (to_jsonb(NEW) ->> CASE TG_TABLE_NAME WHEN 'ledger_entries' THEN 'id' ELSE 'entry_id' END)::uuid;
BEGIN
    SELECT coalesce(sum(amount_cents), 0), count(*) INTO total, n
      FROM ledger_postings WHERE entry_id = eid;
    IF total <> 0 OR n < 2 THEN
        RAISE EXCEPTION 'ledger entry % does not balance (sum %, % postings)', eid, total, n
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entries_balanced';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced();
CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced();

-- A posting moves its merchant account's balance (and the CHECK keeps it from going below zero).
CREATE FUNCTION ledger_posting_moves_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_accounts
       SET balance_cents = balance_cents + NEW.amount_cents * normal_side
     WHERE id = NEW.account_id AND merchant_id IS NOT NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER ledger_postings_move_balance AFTER INSERT ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_posting_moves_balance();

-- Entries and postings are never changed or removed: corrections are new entries.
CREATE FUNCTION ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never changed or removed: post a correction', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_immutable();
CREATE TRIGGER ledger_postings_immutable BEFORE UPDATE OR DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_immutable();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_immutable();
CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_immutable();

-- The platform's commission on what merchants of a category earn, in basis points.
CREATE TABLE commission_rates (
    category     text PRIMARY KEY REFERENCES categories (code),
    rate_bp      integer NOT NULL CHECK (rate_bp BETWEEN 0 AND 5000),
    updated_by   uuid REFERENCES users (id),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO commission_rates (category, rate_bp) SELECT code, 800 FROM categories;

-- Where a merchant's payouts go.
CREATE TABLE payout_accounts (
    merchant_id  uuid PRIMARY KEY REFERENCES merchants (id),
    method       text NOT NULL CHECK (method IN ('wechat', 'alipay')),
    account      text NOT NULL CHECK (char_length(account) BETWEEN 3 AND 100),
    holder_name  text NOT NULL CHECK (char_length(holder_name) BETWEEN 2 AND 100),
    updated_by   uuid NOT NULL REFERENCES users (id),
    updated_at   timestamptz NOT NULL
);

-- Operators' holds on a merchant's payouts (the reason is in the audit log too).
CREATE TABLE payout_holds (
    merchant_id  uuid PRIMARY KEY REFERENCES merchants (id),
    reason       text NOT NULL,
    held_by      uuid NOT NULL REFERENCES users (id),
    held_at      timestamptz NOT NULL
);

-- One statement per merchant and day (Asia/Shanghai), however often the job runs.
CREATE TABLE statements (
    id                 uuid PRIMARY KEY,
    merchant_id        uuid NOT NULL REFERENCES merchants (id),
    day                date NOT NULL,
    gross_cents        bigint NOT NULL,
    commission_cents   bigint NOT NULL,
    refunds_cents      bigint NOT NULL,
    net_cents          bigint NOT NULL,
    -- The payable when the statement was made, and what of it is paid out now.
    payable_cents      bigint NOT NULL,
    payout_cents       bigint NOT NULL CHECK (payout_cents >= 0),
    -- Why nothing is paid out: held, no payout account, nothing to pay.
    not_paid_reason    text,
    created_at         timestamptz NOT NULL,
    CONSTRAINT statements_one_per_day UNIQUE (merchant_id, day),
    CONSTRAINT statements_net CHECK (net_cents = gross_cents - commission_cents - refunds_cents)
);

CREATE TABLE statement_lines (
    statement_id      uuid NOT NULL REFERENCES statements (id),
    subject_kind      text NOT NULL CHECK (subject_kind IN ('order', 'booking')),
    subject_id        uuid NOT NULL,
    gross_cents       bigint NOT NULL,
    commission_cents  bigint NOT NULL,
    refunds_cents     bigint NOT NULL,
    net_cents         bigint NOT NULL,
    PRIMARY KEY (statement_id, subject_id)
);

CREATE TABLE payouts (
    id                uuid PRIMARY KEY,
    merchant_id       uuid NOT NULL REFERENCES merchants (id),
    statement_id      uuid NOT NULL UNIQUE REFERENCES statements (id),
    method            text NOT NULL CHECK (method IN ('wechat', 'alipay')),
    -- Ours at the provider; the same on every retry.
    out_biz_no        text NOT NULL UNIQUE,
    amount_cents      bigint NOT NULL CHECK (amount_cents > 0),
    status            text NOT NULL CHECK (status IN ('requested', 'succeeded', 'failed')),
    transfer_id       text,
    failure           text,
    created_at        timestamptz NOT NULL,
    ended_at          timestamptz
);
CREATE INDEX payouts_merchant_idx ON payouts (merchant_id, created_at);

-- What the daily reconciliation found, per provider and day; it never corrects anything.
CREATE TABLE reconciliations (
    id            uuid PRIMARY KEY,
    method        text NOT NULL CHECK (method IN ('wechat', 'alipay')),
    day           date NOT NULL,
    bill_lines    integer NOT NULL,
    ledger_lines  integer NOT NULL,
    matched       integer NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX reconciliations_day_idx ON reconciliations (day, method, created_at);

CREATE TABLE reconciliation_differences (
    reconciliation_id  uuid NOT NULL REFERENCES reconciliations (id),
    kind               text NOT NULL CHECK (kind IN ('missing_in_bill', 'missing_in_ledger',
                           'amount_differs')),
    line_kind          text NOT NULL CHECK (line_kind IN ('payment', 'refund')),
    -- The provider's transaction or refund id.
    reference          text NOT NULL,
    out_trade_no       text,
    bill_cents         bigint,
    ledger_cents       bigint,
    PRIMARY KEY (reconciliation_id, line_kind, reference)
);
