-- Uploaded files (the bytes are in the object store under `storage_key`, metadata stripped).
-- An upload belongs to the account that sent it and is attached at most once, to one subject
-- of the kind its purpose allows (a merchant's application, an order, a review); unattached
-- uploads older than a day are swept with their objects.
CREATE TABLE uploads (
    id uuid PRIMARY KEY,
    owner_id uuid NOT NULL REFERENCES users (id),
    purpose text NOT NULL CHECK (purpose IN ('licence_document', 'handoff_photo', 'review_photo',
        'after_sales_evidence', 'message_photo')),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    byte_size integer NOT NULL CHECK (byte_size > 0),
    sha256 text NOT NULL,
    storage_key text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    subject_kind text CHECK (subject_kind IN ('merchant', 'order', 'review')),
    subject_id uuid,
    attached_at timestamptz,
    CONSTRAINT uploads_attached_whole CHECK (
        (subject_kind IS NULL) = (subject_id IS NULL)
        AND (subject_id IS NULL) = (attached_at IS NULL))
);
CREATE INDEX uploads_owner_idx ON uploads (owner_id, created_at);
CREATE INDEX uploads_subject_idx ON uploads (subject_kind, subject_id) WHERE subject_id IS NOT NULL;
CREATE INDEX uploads_unattached_idx ON uploads (created_at) WHERE subject_id IS NULL;

-- Application documents were free-text references with no file behind them; they are now the
-- ids of uploads, so the old references go (submitting again needs uploaded documents).
UPDATE merchants SET documents = '[]'::jsonb WHERE documents <> '[]'::jsonb;
