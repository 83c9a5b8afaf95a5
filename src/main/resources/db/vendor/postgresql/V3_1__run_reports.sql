-- Each run's per-member report (report.csv), gzip-compressed.
CREATE TABLE sync_run_reports (
    run_id   BIGINT PRIMARY KEY,
    csv_gzip BYTEA  NOT NULL
);
