DELETE FROM uploads WHERE subject_kind = 'message';
ALTER TABLE uploads DROP CONSTRAINT uploads_subject_kind_check;
ALTER TABLE uploads ADD CONSTRAINT uploads_subject_kind_check
    CHECK (subject_kind IN ('merchant', 'order', 'review', 'after_sales_request'));
DROP TABLE message_notices;
DROP TABLE messages;
