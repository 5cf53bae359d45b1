DELETE FROM refunds WHERE kind = 'after_sales';
ALTER TABLE refunds DROP CONSTRAINT refunds_kind_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_kind_check CHECK (kind IN ('cancellation',
    'failed_delivery', 'operator', 'late_compensation', 'requote_declined'));
UPDATE uploads SET subject_kind = NULL, subject_id = NULL, attached_at = NULL
    WHERE subject_kind = 'after_sales_request';
ALTER TABLE uploads DROP CONSTRAINT uploads_subject_kind_check;
ALTER TABLE uploads ADD CONSTRAINT uploads_subject_kind_check
    CHECK (subject_kind IN ('merchant', 'order', 'review'));
DROP TABLE after_sales_events;
DROP TABLE after_sales_requests;
