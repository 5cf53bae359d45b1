-- Foundation: accounts, sign-in, rate limits, idempotency keys, durable jobs and the email outbox.
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         citext NOT NULL CONSTRAINT users_email_key UNIQUE,
    password_hash text NOT NULL,
    display_name  text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 50),
    -- Mainland mobile number, 11 digits, no country prefix.
    phone         text CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    -- Platform role; merchant abilities come from merchant membership, not from here.
    platform_role text NOT NULL DEFAULT 'consumer' CHECK (platform_role IN ('consumer', 'operator')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Opaque refresh tokens, stored as SHA-256 hashes. A family is one sign-in; rotating a token
-- spends it (used_at) and issues the next in the same family. Replaying a spent token revokes
-- the family.
CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    family_id   uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL CONSTRAINT refresh_tokens_hash_key UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Fixed-window counters for rate limits, shared by every app process.
CREATE TABLE rate_limits (
    key          text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL
);

-- Responses of POSTs made with an Idempotency-Key, kept 24 hours. A row is written in the same
-- transaction as the record it created, so it exists only if that record does.
CREATE TABLE idempotency_keys (
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key             text NOT NULL,
    request_hash    bytea NOT NULL,
    response_status smallint NOT NULL,
    response_body   jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Durable jobs (timers, email sends), claimed with FOR UPDATE SKIP LOCKED so any number of
-- processes can run them. A job that succeeds is deleted; one that keeps failing is kept with
-- failed_at set.
CREATE TABLE jobs (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL,
    payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
    run_at       timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 10,
    last_error   text,
    failed_at    timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_due_idx ON jobs (run_at) WHERE failed_at IS NULL;

-- Every email the platform sends, written in the transaction that caused it and sent after
-- commit by a `send_email` job. The Message-ID is derived from the id.
CREATE TABLE outbox_emails (
    id         uuid PRIMARY KEY,
    recipient  text NOT NULL,
    subject    text NOT NULL,
    body_text  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);
