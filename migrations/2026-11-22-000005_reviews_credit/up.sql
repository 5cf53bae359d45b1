-- Reviews of completed bookings and delivered orders, merchant replies, reports, moderation
-- decisions and appeals, and the merchant credit score with its penalties.

CREATE TABLE reviews (
    id               uuid PRIMARY KEY,
    author_id        uuid NOT NULL REFERENCES users (id),
    merchant_id      uuid NOT NULL REFERENCES merchants (id),
    -- Verified purchase: exactly one of a booking or an order, reviewed once.
    booking_id       uuid CONSTRAINT reviews_booking_key UNIQUE REFERENCES bookings (id),
    order_id         uuid CONSTRAINT reviews_order_key UNIQUE REFERENCES orders (id),
    rating           smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    quality          smallint CHECK (quality BETWEEN 1 AND 5),
    punctuality      smallint CHECK (punctuality BETWEEN 1 AND 5),
    hygiene          smallint CHECK (hygiene BETWEEN 1 AND 5),
    body             text NOT NULL CHECK (char_length(body) <= 1000),
    photo_refs       jsonb NOT NULL DEFAULT '[]'::jsonb,
    mask_author      boolean NOT NULL DEFAULT true,
    status           text NOT NULL CHECK (status IN ('published', 'held', 'hidden', 'removed')),
    -- The anti-fake rule that held it, if any.
    held_rule        text,
    hidden_reason    text,
    edited           boolean NOT NULL DEFAULT false,
    helpful_count    integer NOT NULL DEFAULT 0,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((booking_id IS NULL) <> (order_id IS NULL))
);
CREATE INDEX reviews_merchant_idx ON reviews (merchant_id, status, created_at DESC, id);
CREATE INDEX reviews_author_idx ON reviews (author_id, created_at);
CREATE INDEX reviews_recent_idx ON reviews (created_at);

-- Earlier text of an edited review: nothing is changed silently.
CREATE TABLE review_revisions (
    id        uuid PRIMARY KEY,
    review_id uuid NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    rating    smallint NOT NULL,
    body      text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE review_replies (
    review_id  uuid PRIMARY KEY REFERENCES reviews (id) ON DELETE CASCADE,
    author_id  uuid NOT NULL REFERENCES users (id),
    body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 1000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE review_helpful_votes (
    review_id uuid NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    user_id   uuid NOT NULL REFERENCES users (id),
    PRIMARY KEY (review_id, user_id)
);

CREATE TABLE review_reports (
    id          uuid PRIMARY KEY,
    review_id   uuid NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    reporter_id uuid NOT NULL REFERENCES users (id),
    reason      text NOT NULL CHECK (reason IN ('spam', 'fake', 'offensive', 'privacy', 'irrelevant', 'extortion')),
    note        text,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'dismissed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT review_reports_once UNIQUE (review_id, reporter_id)
);
CREATE INDEX review_reports_open_idx ON review_reports (review_id) WHERE status = 'open';

CREATE TABLE moderation_decisions (
    id            uuid PRIMARY KEY,
    review_id     uuid NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    operator_id   uuid NOT NULL REFERENCES users (id),
    decision      text NOT NULL CHECK (decision IN ('publish', 'hide', 'remove', 'dismiss_reports')),
    reason        text,
    before_status text NOT NULL,
    after_status  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_decisions_review_idx ON moderation_decisions (review_id, created_at DESC);

-- One appeal per decision, decided by another operator.
CREATE TABLE appeals (
    id             uuid PRIMARY KEY,
    decision_id    uuid NOT NULL CONSTRAINT appeals_once UNIQUE REFERENCES moderation_decisions (id) ON DELETE CASCADE,
    appellant_id   uuid NOT NULL REFERENCES users (id),
    appellant_role text NOT NULL CHECK (appellant_role IN ('author', 'merchant')),
    reason         text NOT NULL,
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'overturned')),
    decided_by     uuid REFERENCES users (id),
    decided_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE credit_penalties (
    id          uuid PRIMARY KEY,
    merchant_id uuid NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('buying_reviews', 'upheld_complaint', 'other')),
    points      integer NOT NULL CHECK (points BETWEEN 1 AND 1000),
    reason      text NOT NULL,
    created_by  uuid REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX credit_penalties_merchant_idx ON credit_penalties (merchant_id, expires_at);

-- The latest computed score; discovery ranks by it.
CREATE TABLE merchant_credit (
    merchant_id uuid PRIMARY KEY REFERENCES merchants (id) ON DELETE CASCADE,
    score       integer NOT NULL CHECK (score BETWEEN 0 AND 1000),
    tier        text NOT NULL CHECK (tier IN ('A', 'B', 'C', 'D')),
    breakdown   jsonb NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX merchant_credit_tier_idx ON merchant_credit (tier);
