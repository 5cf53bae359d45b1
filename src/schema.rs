// @generated automatically by Diesel CLI.

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Uuid,
        key -> Text,
        request_hash -> Bytea,
        response_status -> Int2,
        response_body -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    jobs (id) {
        id -> Uuid,
        kind -> Text,
        payload -> Jsonb,
        run_at -> Timestamptz,
        attempts -> Int4,
        max_attempts -> Int4,
        last_error -> Nullable<Text>,
        failed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    outbox_emails (id) {
        id -> Uuid,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    rate_limits (key) {
        key -> Text,
        window_start -> Timestamptz,
        hits -> Int4,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        family_id -> Uuid,
        user_id -> Uuid,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use diesel::pg::sql_types::Citext;

    users (id) {
        id -> Uuid,
        email -> Citext,
        password_hash -> Text,
        display_name -> Text,
        phone -> Nullable<Text>,
        platform_role -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(idempotency_keys -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    idempotency_keys,
    jobs,
    outbox_emails,
    rate_limits,
    refresh_tokens,
    users,
);
