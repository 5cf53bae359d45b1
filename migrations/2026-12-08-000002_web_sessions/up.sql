-- Cookie sessions of the pages (/console/, /portal/): the SHA-256 of the cookie's opaque token,
-- the CSRF token every form of the session carries, and the token generation of the account at
-- sign-in (a password change or sign-out everywhere ends page sessions too).
CREATE TABLE web_sessions (
    id uuid PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    gen integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
