-- After-sales requests (售后): a consumer asks for a refund or a redo of a completed order or
-- booking; the merchant answers by a deadline; an unanswered, refused or declined request can
-- be escalated to an operator, who decides. One request per subject is open at a time.
CREATE TABLE after_sales_requests (
    id              uuid PRIMARY KEY,
    consumer_id     uuid NOT NULL REFERENCES users (id),
    merchant_id     uuid NOT NULL REFERENCES merchants (id),
    subject_kind    text NOT NULL CHECK (subject_kind IN ('order', 'booking')),
    subject_id      uuid NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('refund', 'redo')),
    status          text NOT NULL CHECK (status IN ('open', 'offered', 'agreed', 'refused',
        'expired', 'declined', 'withdrawn', 'escalated', 'resolved')),
    -- What was paid for the subject when the request was made (an order's total, a booking's
    -- price), in fen.
    paid_cents      bigint NOT NULL CHECK (paid_cents >= 0),
    requested_cents bigint CHECK (requested_cents > 0),
    offered_cents   bigint CHECK (offered_cents > 0),
    -- The refund agreed or decided (null for a redo or a rejection).
    refund_cents    bigint CHECK (refund_cents > 0),
    reason          text NOT NULL,
    -- The ids of the evidence uploads attached to the request.
    photo_refs      jsonb NOT NULL DEFAULT '[]',
    -- The merchant's words with its answer (a refusal's reason, an offer's note).
    answer          text,
    decision        text CHECK (decision IN ('refund_full', 'refund_part', 'redo', 'reject')),
    decision_reason text,
    decided_by      uuid REFERENCES users (id),
    respond_by      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         integer NOT NULL DEFAULT 1,
    CONSTRAINT after_sales_amount_of_kind CHECK ((kind = 'refund') = (requested_cents IS NOT NULL))
);
-- One request per subject that has not ended (agreed, withdrawn and resolved have).
CREATE UNIQUE INDEX after_sales_one_open ON after_sales_requests (subject_kind, subject_id)
    WHERE status NOT IN ('agreed', 'withdrawn', 'resolved');
CREATE INDEX after_sales_subject_idx ON after_sales_requests (subject_kind, subject_id);
CREATE INDEX after_sales_consumer_idx ON after_sales_requests (consumer_id, created_at);
CREATE INDEX after_sales_merchant_idx ON after_sales_requests (merchant_id, created_at);
CREATE INDEX after_sales_status_idx ON after_sales_requests (status, created_at);

CREATE TABLE after_sales_events (
    id          uuid PRIMARY KEY,
    request_id  uuid NOT NULL REFERENCES after_sales_requests (id) ON DELETE CASCADE,
    from_status text,
    to_status   text NOT NULL,
    action      text NOT NULL,
    actor_id    uuid REFERENCES users (id),
    actor_role  text NOT NULL,
    reason      text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX after_sales_events_request_idx ON after_sales_events (request_id, at);

-- Evidence photos are attached to the request.
ALTER TABLE uploads DROP CONSTRAINT uploads_subject_kind_check;
ALTER TABLE uploads ADD CONSTRAINT uploads_subject_kind_check
    CHECK (subject_kind IN ('merchant', 'order', 'review', 'after_sales_request'));

-- An agreed after-sales refund of an order is one of the order's refunds.
ALTER TABLE refunds DROP CONSTRAINT refunds_kind_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_kind_check CHECK (kind IN ('cancellation',
    'failed_delivery', 'operator', 'late_compensation', 'requote_declined', 'after_sales'));
