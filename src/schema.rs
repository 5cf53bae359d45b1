// @generated automatically by Diesel CLI.

diesel::table! {
    account_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        purpose -> Text,
        token_hash -> Bytea,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    addresses (id) {
        id -> Uuid,
        user_id -> Uuid,
        label -> Nullable<Text>,
        recipient_name -> Text,
        phone -> Text,
        text -> Text,
        lat -> Float8,
        lng -> Float8,
        drop_point_note -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    after_sales_events (id) {
        id -> Uuid,
        request_id -> Uuid,
        from_status -> Nullable<Text>,
        to_status -> Text,
        action -> Text,
        actor_id -> Nullable<Uuid>,
        actor_role -> Text,
        reason -> Nullable<Text>,
        at -> Timestamptz,
    }
}

diesel::table! {
    after_sales_requests (id) {
        id -> Uuid,
        consumer_id -> Uuid,
        merchant_id -> Uuid,
        subject_kind -> Text,
        subject_id -> Uuid,
        kind -> Text,
        status -> Text,
        paid_cents -> Int8,
        requested_cents -> Nullable<Int8>,
        offered_cents -> Nullable<Int8>,
        refund_cents -> Nullable<Int8>,
        reason -> Text,
        photo_refs -> Jsonb,
        answer -> Nullable<Text>,
        decision -> Nullable<Text>,
        decision_reason -> Nullable<Text>,
        decided_by -> Nullable<Uuid>,
        respond_by -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    appeals (id) {
        id -> Uuid,
        decision_id -> Uuid,
        appellant_id -> Uuid,
        appellant_role -> Text,
        reason -> Text,
        status -> Text,
        decided_by -> Nullable<Uuid>,
        decided_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Uuid,
        actor_id -> Nullable<Uuid>,
        actor_role -> Text,
        action -> Text,
        subject_type -> Text,
        subject_id -> Uuid,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        reason -> Nullable<Text>,
        at -> Timestamptz,
    }
}

diesel::table! {
    booking_events (id) {
        id -> Uuid,
        booking_id -> Uuid,
        from_status -> Nullable<Text>,
        to_status -> Text,
        action -> Text,
        actor_id -> Nullable<Uuid>,
        actor_role -> Text,
        reason -> Nullable<Text>,
        at -> Timestamptz,
    }
}

diesel::table! {
    booking_settings (merchant_id) {
        merchant_id -> Uuid,
        auto_accept -> Bool,
        min_notice_minutes -> Int4,
        horizon_days -> Int4,
        buffer_minutes -> Int4,
        slot_step_minutes -> Int4,
        free_cancel_hours -> Int4,
        late_cancel_fee_percent -> Int4,
        reschedule_limit -> Int4,
        updated_at -> Timestamptz,
        prepaid -> Bool,
    }
}

diesel::table! {
    bookings (id) {
        id -> Uuid,
        consumer_id -> Uuid,
        merchant_id -> Uuid,
        service_id -> Uuid,
        worker_id -> Nullable<Uuid>,
        kind -> Text,
        status -> Text,
        starts_at -> Timestamptz,
        ends_at -> Timestamptz,
        blocked -> Tstzrange,
        party_size -> Int4,
        service_name -> Text,
        price_cents -> Int8,
        currency -> Text,
        address_text -> Nullable<Text>,
        address_lat -> Nullable<Float8>,
        address_lng -> Nullable<Float8>,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        for_relative -> Bool,
        note -> Nullable<Text>,
        respond_by -> Nullable<Timestamptz>,
        reschedule_count -> Int4,
        cancelled_by -> Nullable<Text>,
        cancel_fee_cents -> Nullable<Int8>,
        cancel_reason -> Nullable<Text>,
        no_show_party -> Nullable<Text>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        prepaid -> Bool,
        paid_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    categories (code) {
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        requires_food_permit -> Bool,
        sort_order -> Int4,
    }
}

diesel::table! {
    commission_rates (category) {
        category -> Text,
        rate_bp -> Int4,
        updated_by -> Nullable<Uuid>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    consents (id) {
        id -> Uuid,
        user_id -> Uuid,
        kind -> Text,
        version -> Text,
        granted -> Bool,
        at -> Timestamptz,
    }
}

diesel::table! {
    credit_penalties (id) {
        id -> Uuid,
        merchant_id -> Uuid,
        kind -> Text,
        points -> Int4,
        reason -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    handoff_proofs (id) {
        id -> Uuid,
        order_id -> Uuid,
        leg -> Text,
        method -> Text,
        drop_point -> Text,
        photo_refs -> Jsonb,
        pin_checked -> Bool,
        item_count -> Nullable<Int4>,
        recorded_by -> Nullable<Uuid>,
        at -> Timestamptz,
    }
}

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
        dedupe_key -> Nullable<Text>,
    }
}

diesel::table! {
    ledger_accounts (id) {
        id -> Uuid,
        kind -> Text,
        merchant_id -> Nullable<Uuid>,
        normal_side -> Int2,
        balance_cents -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ledger_entries (id) {
        id -> Uuid,
        kind -> Text,
        key -> Nullable<Text>,
        merchant_id -> Nullable<Uuid>,
        subject_kind -> Nullable<Text>,
        subject_id -> Nullable<Uuid>,
        provider -> Nullable<Text>,
        reference -> Nullable<Text>,
        memo -> Text,
        occurred_at -> Timestamptz,
        posted_at -> Timestamptz,
    }
}

diesel::table! {
    ledger_postings (id) {
        id -> Int8,
        entry_id -> Uuid,
        account_id -> Uuid,
        amount_cents -> Int8,
        subject_id -> Nullable<Uuid>,
        posted_at -> Timestamptz,
    }
}

diesel::table! {
    merchant_categories (merchant_id, category) {
        merchant_id -> Uuid,
        category -> Text,
    }
}

diesel::table! {
    merchant_credit (merchant_id) {
        merchant_id -> Uuid,
        score -> Int4,
        tier -> Text,
        breakdown -> Jsonb,
        computed_at -> Timestamptz,
    }
}

diesel::table! {
    merchant_members (merchant_id, user_id) {
        merchant_id -> Uuid,
        user_id -> Uuid,
        role -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    merchants (id) {
        id -> Uuid,
        owner_id -> Uuid,
        status -> Text,
        status_reason -> Nullable<Text>,
        legal_name -> Text,
        display_name -> Text,
        description -> Text,
        credit_code -> Text,
        licence_expires_on -> Date,
        food_permit_no -> Nullable<Text>,
        contact_phone -> Text,
        address -> Text,
        district -> Nullable<Text>,
        lat -> Float8,
        lng -> Float8,
        service_radius_m -> Int4,
        opening_hours -> Jsonb,
        time_zone -> Text,
        documents -> Jsonb,
        rating_count -> Int4,
        rating_average -> Nullable<Float8>,
        submitted_at -> Nullable<Timestamptz>,
        decided_at -> Nullable<Timestamptz>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        credit_score -> Int4,
        credit_tier -> Text,
    }
}

diesel::table! {
    message_notices (subject_kind, subject_id, user_id) {
        subject_kind -> Text,
        subject_id -> Uuid,
        user_id -> Uuid,
        notified_at -> Timestamptz,
    }
}

diesel::table! {
    messages (id) {
        id -> Uuid,
        subject_kind -> Text,
        subject_id -> Uuid,
        sender_id -> Uuid,
        sender_role -> Text,
        sender_name -> Text,
        body -> Text,
        photo_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    moderation_decisions (id) {
        id -> Uuid,
        review_id -> Uuid,
        operator_id -> Uuid,
        decision -> Text,
        reason -> Nullable<Text>,
        before_status -> Text,
        after_status -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    order_events (id) {
        id -> Uuid,
        order_id -> Uuid,
        from_status -> Nullable<Text>,
        to_status -> Text,
        action -> Text,
        actor_id -> Nullable<Uuid>,
        actor_role -> Text,
        reason -> Nullable<Text>,
        at -> Timestamptz,
    }
}

diesel::table! {
    order_items (id) {
        id -> Uuid,
        order_id -> Uuid,
        service_id -> Uuid,
        name -> Text,
        unit_price_cents -> Int8,
        price_unit -> Text,
        quantity -> Int4,
        line_total_cents -> Int8,
    }
}

diesel::table! {
    order_settings (merchant_id) {
        merchant_id -> Uuid,
        min_order_cents -> Int8,
        packaging_fee_cents -> Int8,
        delivery_fee_cents -> Int8,
        accept_within_minutes -> Int4,
        prep_minutes -> Int4,
        auto_complete_hours -> Int4,
        late_tiers -> Jsonb,
        late_cap_percent -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    orders (id) {
        id -> Uuid,
        consumer_id -> Uuid,
        merchant_id -> Uuid,
        kind -> Text,
        status -> Text,
        courier_id -> Nullable<Uuid>,
        recipient_name -> Text,
        recipient_phone -> Text,
        address_text -> Text,
        address_lat -> Float8,
        address_lng -> Float8,
        drop_point_note -> Nullable<Text>,
        delivery_mode -> Text,
        note -> Nullable<Text>,
        subtotal_cents -> Int8,
        packaging_cents -> Int8,
        delivery_fee_cents -> Int8,
        total_cents -> Int8,
        currency -> Text,
        refunded_cents -> Int8,
        pin -> Text,
        pin_attempts -> Int4,
        respond_by -> Nullable<Timestamptz>,
        promised_at -> Nullable<Timestamptz>,
        pickup_at -> Nullable<Timestamptz>,
        item_count -> Nullable<Int4>,
        requote_cents -> Nullable<Int8>,
        delivered_at -> Nullable<Timestamptz>,
        late_minutes -> Nullable<Int4>,
        reason -> Nullable<Text>,
        version -> Int4,
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
        user_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    payment_notifications (id) {
        id -> Uuid,
        method -> Text,
        event_key -> Nullable<Text>,
        headers -> Jsonb,
        body -> Bytea,
        outcome -> Text,
        reason -> Nullable<Text>,
        payment_id -> Nullable<Uuid>,
        received_at -> Timestamptz,
    }
}

diesel::table! {
    payment_refunds (id) {
        id -> Uuid,
        payment_id -> Uuid,
        source_key -> Text,
        out_refund_no -> Text,
        amount_cents -> Int8,
        reason -> Text,
        status -> Text,
        provider_refund_id -> Nullable<Text>,
        failure -> Nullable<Text>,
        created_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    payments (id) {
        id -> Uuid,
        subject_kind -> Text,
        subject_id -> Uuid,
        consumer_id -> Uuid,
        merchant_id -> Uuid,
        method -> Text,
        out_trade_no -> Text,
        amount_cents -> Int8,
        currency -> Text,
        status -> Text,
        prepay_id -> Nullable<Text>,
        sheet -> Nullable<Jsonb>,
        transaction_id -> Nullable<Text>,
        refunded_cents -> Int8,
        expires_at -> Timestamptz,
        paid_at -> Nullable<Timestamptz>,
        ended_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    payout_accounts (merchant_id) {
        merchant_id -> Uuid,
        method -> Text,
        account -> Text,
        holder_name -> Text,
        updated_by -> Uuid,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    payout_holds (merchant_id) {
        merchant_id -> Uuid,
        reason -> Text,
        held_by -> Uuid,
        held_at -> Timestamptz,
    }
}

diesel::table! {
    payouts (id) {
        id -> Uuid,
        merchant_id -> Uuid,
        statement_id -> Uuid,
        method -> Text,
        out_biz_no -> Text,
        amount_cents -> Int8,
        status -> Text,
        transfer_id -> Nullable<Text>,
        failure -> Nullable<Text>,
        created_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
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
    reconciliation_differences (reconciliation_id, line_kind, reference) {
        reconciliation_id -> Uuid,
        kind -> Text,
        line_kind -> Text,
        reference -> Text,
        out_trade_no -> Nullable<Text>,
        bill_cents -> Nullable<Int8>,
        ledger_cents -> Nullable<Int8>,
    }
}

diesel::table! {
    reconciliations (id) {
        id -> Uuid,
        method -> Text,
        day -> Date,
        bill_lines -> Int4,
        ledger_lines -> Int4,
        matched -> Int4,
        created_at -> Timestamptz,
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
    refunds (id) {
        id -> Uuid,
        order_id -> Uuid,
        amount_cents -> Int8,
        kind -> Text,
        reason -> Text,
        status -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    review_helpful_votes (review_id, user_id) {
        review_id -> Uuid,
        user_id -> Uuid,
    }
}

diesel::table! {
    review_replies (review_id) {
        review_id -> Uuid,
        author_id -> Uuid,
        body -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    review_reports (id) {
        id -> Uuid,
        review_id -> Uuid,
        reporter_id -> Uuid,
        reason -> Text,
        note -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamptz,
        decision_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    review_revisions (id) {
        id -> Uuid,
        review_id -> Uuid,
        rating -> Int2,
        body -> Text,
        at -> Timestamptz,
    }
}

diesel::table! {
    reviews (id) {
        id -> Uuid,
        author_id -> Uuid,
        merchant_id -> Uuid,
        booking_id -> Nullable<Uuid>,
        order_id -> Nullable<Uuid>,
        rating -> Int2,
        quality -> Nullable<Int2>,
        punctuality -> Nullable<Int2>,
        hygiene -> Nullable<Int2>,
        body -> Text,
        photo_refs -> Jsonb,
        mask_author -> Bool,
        status -> Text,
        held_rule -> Nullable<Text>,
        hidden_reason -> Nullable<Text>,
        edited -> Bool,
        helpful_count -> Int4,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    safety_checks (id) {
        id -> Uuid,
        order_id -> Uuid,
        role -> Text,
        temperature_c -> Float8,
        ok -> Bool,
        checked_at -> Timestamptz,
        recorded_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    schedule_exceptions (id) {
        id -> Uuid,
        worker_id -> Uuid,
        on_date -> Date,
        kind -> Text,
        start_minute -> Nullable<Int4>,
        end_minute -> Nullable<Int4>,
    }
}

diesel::table! {
    search_terms (term, kind) {
        term -> Text,
        kind -> Text,
        uses -> Int4,
    }
}

diesel::table! {
    seatings (service_id, starts_at) {
        service_id -> Uuid,
        starts_at -> Timestamptz,
        capacity -> Int4,
        taken -> Int4,
    }
}

diesel::table! {
    service_price_changes (id) {
        id -> Uuid,
        service_id -> Uuid,
        old_cents -> Int8,
        new_cents -> Int8,
        changed_by -> Uuid,
        changed_at -> Timestamptz,
    }
}

diesel::table! {
    services (id) {
        id -> Uuid,
        merchant_id -> Uuid,
        category -> Text,
        fulfilment -> Text,
        name -> Text,
        description -> Text,
        price_cents -> Int8,
        currency -> Text,
        price_unit -> Text,
        duration_minutes -> Nullable<Int4>,
        buffer_minutes -> Int4,
        capacity -> Nullable<Int4>,
        elderly_friendly -> Bool,
        active -> Bool,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    statement_lines (statement_id, subject_id) {
        statement_id -> Uuid,
        subject_kind -> Text,
        subject_id -> Uuid,
        gross_cents -> Int8,
        commission_cents -> Int8,
        refunds_cents -> Int8,
        net_cents -> Int8,
    }
}

diesel::table! {
    statements (id) {
        id -> Uuid,
        merchant_id -> Uuid,
        day -> Date,
        gross_cents -> Int8,
        commission_cents -> Int8,
        refunds_cents -> Int8,
        net_cents -> Int8,
        payable_cents -> Int8,
        payout_cents -> Int8,
        not_paid_reason -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    token_generations (user_id) {
        user_id -> Uuid,
        generation -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    uploads (id) {
        id -> Uuid,
        owner_id -> Uuid,
        purpose -> Text,
        content_type -> Text,
        byte_size -> Int4,
        sha256 -> Text,
        storage_key -> Text,
        created_at -> Timestamptz,
        subject_kind -> Nullable<Text>,
        subject_id -> Nullable<Uuid>,
        attached_at -> Nullable<Timestamptz>,
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
        email_verified_at -> Nullable<Timestamptz>,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    worker_schedules (worker_id) {
        worker_id -> Uuid,
        weekly -> Jsonb,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    workers (id) {
        id -> Uuid,
        merchant_id -> Uuid,
        name -> Text,
        phone -> Nullable<Text>,
        user_id -> Nullable<Uuid>,
        skills -> Array<Text>,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(account_tokens -> users (user_id));
diesel::joinable!(addresses -> users (user_id));
diesel::joinable!(after_sales_events -> after_sales_requests (request_id));
diesel::joinable!(after_sales_requests -> merchants (merchant_id));
diesel::joinable!(appeals -> moderation_decisions (decision_id));
diesel::joinable!(audit_log -> users (actor_id));
diesel::joinable!(booking_events -> bookings (booking_id));
diesel::joinable!(booking_events -> users (actor_id));
diesel::joinable!(booking_settings -> merchants (merchant_id));
diesel::joinable!(bookings -> merchants (merchant_id));
diesel::joinable!(bookings -> services (service_id));
diesel::joinable!(bookings -> users (consumer_id));
diesel::joinable!(bookings -> workers (worker_id));
diesel::joinable!(consents -> users (user_id));
diesel::joinable!(credit_penalties -> merchants (merchant_id));
diesel::joinable!(handoff_proofs -> orders (order_id));
diesel::joinable!(idempotency_keys -> users (user_id));
diesel::joinable!(ledger_postings -> ledger_accounts (account_id));
diesel::joinable!(ledger_postings -> ledger_entries (entry_id));
diesel::joinable!(merchant_categories -> categories (category));
diesel::joinable!(merchant_categories -> merchants (merchant_id));
diesel::joinable!(merchant_credit -> merchants (merchant_id));
diesel::joinable!(merchant_members -> merchants (merchant_id));
diesel::joinable!(merchant_members -> users (user_id));
diesel::joinable!(merchants -> users (owner_id));
diesel::joinable!(moderation_decisions -> reviews (review_id));
diesel::joinable!(order_events -> orders (order_id));
diesel::joinable!(order_items -> orders (order_id));
diesel::joinable!(order_items -> services (service_id));
diesel::joinable!(order_settings -> merchants (merchant_id));
diesel::joinable!(orders -> merchants (merchant_id));
diesel::joinable!(orders -> users (consumer_id));
diesel::joinable!(orders -> workers (courier_id));
diesel::joinable!(outbox_emails -> users (user_id));
diesel::joinable!(payment_notifications -> payments (payment_id));
diesel::joinable!(payment_refunds -> payments (payment_id));
diesel::joinable!(payments -> merchants (merchant_id));
diesel::joinable!(payments -> users (consumer_id));
diesel::joinable!(payouts -> statements (statement_id));
diesel::joinable!(reconciliation_differences -> reconciliations (reconciliation_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(refunds -> orders (order_id));
diesel::joinable!(review_helpful_votes -> reviews (review_id));
diesel::joinable!(review_replies -> reviews (review_id));
diesel::joinable!(review_reports -> moderation_decisions (decision_id));
diesel::joinable!(review_reports -> reviews (review_id));
diesel::joinable!(review_revisions -> reviews (review_id));
diesel::joinable!(reviews -> merchants (merchant_id));
diesel::joinable!(reviews -> users (author_id));
diesel::joinable!(safety_checks -> orders (order_id));
diesel::joinable!(schedule_exceptions -> workers (worker_id));
diesel::joinable!(seatings -> services (service_id));
diesel::joinable!(service_price_changes -> services (service_id));
diesel::joinable!(service_price_changes -> users (changed_by));
diesel::joinable!(services -> categories (category));
diesel::joinable!(services -> merchants (merchant_id));
diesel::joinable!(statement_lines -> statements (statement_id));
diesel::joinable!(token_generations -> users (user_id));
diesel::joinable!(uploads -> users (owner_id));
diesel::joinable!(worker_schedules -> workers (worker_id));
diesel::joinable!(workers -> merchants (merchant_id));
diesel::joinable!(workers -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    account_tokens,
    addresses,
    after_sales_events,
    after_sales_requests,
    appeals,
    audit_log,
    booking_events,
    booking_settings,
    bookings,
    categories,
    commission_rates,
    consents,
    credit_penalties,
    handoff_proofs,
    idempotency_keys,
    jobs,
    ledger_accounts,
    ledger_entries,
    ledger_postings,
    merchant_categories,
    merchant_credit,
    merchant_members,
    merchants,
    message_notices,
    messages,
    moderation_decisions,
    order_events,
    order_items,
    order_settings,
    orders,
    outbox_emails,
    payment_notifications,
    payment_refunds,
    payments,
    payout_accounts,
    payout_holds,
    payouts,
    rate_limits,
    reconciliation_differences,
    reconciliations,
    refresh_tokens,
    refunds,
    review_helpful_votes,
    review_replies,
    review_reports,
    review_revisions,
    reviews,
    safety_checks,
    schedule_exceptions,
    search_terms,
    seatings,
    service_price_changes,
    services,
    statement_lines,
    statements,
    token_generations,
    uploads,
    users,
    worker_schedules,
    workers,
);
