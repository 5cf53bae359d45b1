-- Every access token carries its account's generation. Ending every session of an account
-- (sign-out everywhere, a password change or reset, the account's deletion) bumps it, and a
-- token of an older generation is refused on its next request. No row means generation 0.
CREATE TABLE token_generations (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    generation integer NOT NULL DEFAULT 0 CHECK (generation >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
