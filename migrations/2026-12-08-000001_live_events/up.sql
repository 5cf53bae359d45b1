-- Live events: what the event streams (`GET /api/v1/me/events`, `/merchants/{id}/events`) send.
-- A row is written in the same transaction as the change it tells of (history::record, a new
-- review). `seq` is the stream position (the SSE `id`, what `Last-Event-ID` resumes from); it
-- is given at commit by a deferred trigger that first takes a transaction-level advisory lock,
-- so seq order is commit order: a reader that sees seq n committed has already seen every
-- smaller seq, and tailing by `seq > last` never skips a row committed late.
CREATE SEQUENCE live_events_seq;

CREATE TABLE live_events (
    id uuid PRIMARY KEY,
    seq bigint UNIQUE,
    consumer_id uuid,
    merchant_id uuid,
    kind text NOT NULL CHECK (kind IN ('order', 'booking', 'after_sales', 'review', 'payment')),
    subject_id uuid NOT NULL,
    action text NOT NULL,
    from_status text,
    to_status text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX live_events_consumer ON live_events (consumer_id, seq) WHERE consumer_id IS NOT NULL;
CREATE INDEX live_events_merchant ON live_events (merchant_id, seq) WHERE merchant_id IS NOT NULL;

CREATE FUNCTION live_events_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One key for the whole table: held from here to the end of the commit.
    PERFORM pg_advisory_xact_lock(7351020261208);
    UPDATE live_events SET seq = nextval('live_events_seq') WHERE id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER live_events_sequence AFTER INSERT ON live_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION live_events_sequence();
