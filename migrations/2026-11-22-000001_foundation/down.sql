DROP TABLE outbox_emails;
DROP TABLE jobs;
DROP TABLE idempotency_keys;
DROP TABLE rate_limits;
DROP TABLE refresh_tokens;
DROP TABLE users;
