DROP TABLE live_events;
DROP FUNCTION live_events_sequence();
DROP SEQUENCE live_events_seq;
