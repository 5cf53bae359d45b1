-- Merchants, their members and workers, the catalog of services, the audit log, and recurring
-- jobs.
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;

-- A recurring job is one row that reschedules itself; dedupe_key keeps it single.
ALTER TABLE jobs ADD COLUMN dedupe_key text CONSTRAINT jobs_dedupe_key_key UNIQUE;

-- Service categories are data: a new one is an INSERT, not a release.
CREATE TABLE categories (
    code                 text PRIMARY KEY CHECK (code ~ '^[a-z][a-z_]{1,30}$'),
    name_zh              text NOT NULL,
    name_en              text NOT NULL,
    requires_food_permit boolean NOT NULL DEFAULT false,
    sort_order           integer NOT NULL DEFAULT 0
);
INSERT INTO categories (code, name_zh, name_en, requires_food_permit, sort_order) VALUES
    ('catering', '餐饮', 'Catering', true, 10),
    ('housekeeping', '家政', 'Housekeeping', false, 20),
    ('laundry', '洗衣', 'Laundry', false, 30),
    ('repair', '维修', 'Repair', false, 40);

CREATE TABLE merchants (
    id                 uuid PRIMARY KEY,
    owner_id           uuid NOT NULL REFERENCES users (id),
    status             text NOT NULL DEFAULT 'draft'
                       CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'suspended')),
    status_reason      text,
    legal_name         text NOT NULL CHECK (char_length(legal_name) BETWEEN 2 AND 100),
    display_name       text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 50),
    description        text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    credit_code        text NOT NULL CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    licence_expires_on date NOT NULL,
    food_permit_no     text,
    contact_phone      text NOT NULL,
    address            text NOT NULL CHECK (char_length(address) BETWEEN 2 AND 200),
    district           text,
    lat                double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lng                double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
    service_radius_m   integer NOT NULL CHECK (service_radius_m BETWEEN 100 AND 30000),
    -- {"mon": [["09:00", "21:00"]], ...} in the merchant's local time.
    opening_hours      jsonb NOT NULL,
    time_zone          text NOT NULL DEFAULT 'Asia/Shanghai',
    -- [{"kind": "business_licence", "ref": "uploads/..."}]
    documents          jsonb NOT NULL DEFAULT '[]'::jsonb,
    -- Maintained by the reviews feature; here so discovery can sort without a join.
    rating_count       integer NOT NULL DEFAULT 0,
    rating_average     double precision,
    submitted_at       timestamptz,
    decided_at         timestamptz,
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX merchants_owner_idx ON merchants (owner_id);
CREATE INDEX merchants_review_queue_idx ON merchants (status, submitted_at, id);
-- Distance search over visible merchants only.
CREATE INDEX merchants_location_idx ON merchants USING gist (ll_to_earth(lat, lng)) WHERE status = 'approved';

CREATE TABLE merchant_categories (
    merchant_id uuid NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    category    text NOT NULL REFERENCES categories (code),
    PRIMARY KEY (merchant_id, category)
);
CREATE INDEX merchant_categories_category_idx ON merchant_categories (category, merchant_id);

-- Who may act for a merchant. The applicant is its owner.
CREATE TABLE merchant_members (
    merchant_id uuid NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id),
    role        text NOT NULL CHECK (role IN ('owner', 'manager', 'staff')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (merchant_id, user_id)
);
CREATE INDEX merchant_members_user_idx ON merchant_members (user_id);
CREATE UNIQUE INDEX merchant_members_one_owner_idx ON merchant_members (merchant_id) WHERE role = 'owner';

-- The people who do the work: housekeepers, technicians, chefs, couriers.
CREATE TABLE workers (
    id          uuid PRIMARY KEY,
    merchant_id uuid NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
    phone       text,
    -- An account of their own, to see and act on their assignments.
    user_id     uuid REFERENCES users (id),
    -- Category codes they are qualified for, and `courier`.
    skills      text[] NOT NULL DEFAULT '{}',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workers_user_per_merchant_key UNIQUE (merchant_id, user_id)
);
CREATE INDEX workers_merchant_idx ON workers (merchant_id);
CREATE INDEX workers_user_idx ON workers (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE services (
    id               uuid PRIMARY KEY,
    merchant_id      uuid NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    category         text NOT NULL REFERENCES categories (code),
    fulfilment       text NOT NULL CHECK (fulfilment IN ('home_visit', 'in_store', 'delivery', 'pickup_return')),
    name             text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
    description      text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    price_cents      bigint NOT NULL CHECK (price_cents BETWEEN 0 AND 100000000),
    currency         text NOT NULL DEFAULT 'CNY' CHECK (currency = 'CNY'),
    price_unit       text NOT NULL CHECK (price_unit IN ('per_visit', 'per_hour', 'per_item', 'per_kg')),
    duration_minutes integer CHECK (duration_minutes BETWEEN 5 AND 1440),
    buffer_minutes   integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 240),
    capacity         integer CHECK (capacity BETWEEN 1 AND 500),
    elderly_friendly boolean NOT NULL DEFAULT false,
    active           boolean NOT NULL DEFAULT true,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (fulfilment NOT IN ('home_visit', 'in_store') OR duration_minutes IS NOT NULL),
    CHECK (fulfilment <> 'in_store' OR capacity IS NOT NULL)
);
CREATE INDEX services_merchant_idx ON services (merchant_id, created_at, id);

-- Every price a service has had: bookings and orders copy the price they were charged, and this
-- keeps the published history for disputes.
CREATE TABLE service_price_changes (
    id          uuid PRIMARY KEY,
    service_id  uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    old_cents   bigint NOT NULL,
    new_cents   bigint NOT NULL,
    changed_by  uuid NOT NULL REFERENCES users (id),
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_price_changes_service_idx ON service_price_changes (service_id, changed_at);

-- Every operator decision and system sanction, with the state before and after. Append-only.
CREATE TABLE audit_log (
    id           uuid PRIMARY KEY,
    actor_id     uuid REFERENCES users (id),
    actor_role   text NOT NULL CHECK (actor_role IN ('operator', 'system', 'member', 'consumer')),
    action       text NOT NULL,
    subject_type text NOT NULL,
    subject_id   uuid NOT NULL,
    before       jsonb,
    after        jsonb,
    reason       text,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_type, subject_id, at DESC);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
