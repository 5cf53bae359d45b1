ALTER TABLE outbox_emails DROP COLUMN user_id;
DROP TABLE account_tokens;
DROP TABLE consents;
ALTER TABLE users DROP COLUMN deleted_at, DROP COLUMN email_verified_at;
