-- Personal information protection: consent records, email verification and password reset
-- tokens, account deletion, and a link from outbox emails to their person.

ALTER TABLE users
    ADD COLUMN email_verified_at timestamptz,
    ADD COLUMN deleted_at timestamptz;

-- Every consent given or withdrawn, with the document version; the latest per kind counts.
CREATE TABLE consents (
    id      uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind    text NOT NULL CHECK (kind IN ('terms', 'privacy_policy', 'marketing_email')),
    version text NOT NULL,
    granted boolean NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consents_user_idx ON consents (user_id, kind, at DESC);

-- Single-use tokens sent by email, stored as SHA-256 hashes.
CREATE TABLE account_tokens (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    token_hash bytea NOT NULL CONSTRAINT account_tokens_hash_key UNIQUE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id);

-- Whose email this is, so deleting an account erases its mail too.
ALTER TABLE outbox_emails ADD COLUMN user_id uuid REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX outbox_emails_user_idx ON outbox_emails (user_id);
