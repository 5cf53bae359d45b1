-- In-app messages between the parties of a booking or an order (docs/api.md#messages). A thread
-- is every message of one subject; it is deleted 30 days after the subject ended by the
-- recurring job `messages.sweep`. `sender_name` is the name shown to the other parties when the
-- message was written (a consumer's masked).
CREATE TABLE messages (
    id uuid PRIMARY KEY,
    subject_kind text NOT NULL CHECK (subject_kind IN ('booking', 'order')),
    subject_id uuid NOT NULL,
    sender_id uuid NOT NULL,
    sender_role text NOT NULL CHECK (sender_role IN ('consumer', 'merchant', 'worker', 'courier')),
    sender_name text NOT NULL,
    body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 1000),
    photo_id uuid,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_thread_idx ON messages (subject_kind, subject_id, created_at, id);
CREATE INDEX messages_sender_idx ON messages (sender_id);

-- When each recipient was last emailed about a thread: at most one email per thread and
-- recipient in 10 minutes.
CREATE TABLE message_notices (
    subject_kind text NOT NULL CHECK (subject_kind IN ('booking', 'order')),
    subject_id uuid NOT NULL,
    user_id uuid NOT NULL,
    notified_at timestamptz NOT NULL,
    PRIMARY KEY (subject_kind, subject_id, user_id)
);
CREATE INDEX message_notices_user_idx ON message_notices (user_id);

-- A message's photo is an upload attached to the message.
ALTER TABLE uploads DROP CONSTRAINT uploads_subject_kind_check;
ALTER TABLE uploads ADD CONSTRAINT uploads_subject_kind_check
    CHECK (subject_kind IN ('merchant', 'order', 'review', 'after_sales_request', 'message'));
