DROP TABLE order_events;
DROP TABLE refunds;
DROP TABLE safety_checks;
DROP TABLE handoff_proofs;
DROP TABLE order_items;
DROP TABLE orders;
DROP TABLE order_settings;
DROP TABLE addresses;
