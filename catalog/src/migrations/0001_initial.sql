-- metrodati catalog, migration 1: initial schema.
--
-- Conventions
--   * Every timestamp is RFC 3339 UTC with millisecond precision and a `Z`
--     suffix ("2025-03-01T02:00:00.000Z"): fixed width, so text order is
--     time order and `>=` comparisons on the text are correct.
--   * Enumerations are stored as lowercase text and pinned with CHECKs.
--   * Counts are INTEGER >= 0 (u64 in Rust, capped at i64::MAX).
--   * "No partition" is NULL; the empty string is not a partition.

CREATE TABLE schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    applied_at  TEXT    NOT NULL
);

-- One row per pipeline run (one job execution).
CREATE TABLE runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    job          TEXT    NOT NULL CHECK (job <> ''),
    pipeline     TEXT    NOT NULL,
    triggered_by TEXT    NOT NULL
        CONSTRAINT runs_trigger_valid
        CHECK (triggered_by IN ('manual', 'scheduled', 'catch-up', 'backfill', 'dependency')),
    attempt      INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    status       TEXT    NOT NULL
        CONSTRAINT runs_status_valid
        CHECK (status IN ('running', 'succeeded', 'failed', 'partially_succeeded', 'skipped', 'cancelled')),
    started_at   TEXT    NOT NULL,
    ended_at     TEXT,
    duration_ms  INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0),
    error        TEXT,
    params_json  TEXT    NOT NULL DEFAULT '{}'
        CONSTRAINT runs_params_json_valid CHECK (json_valid(params_json)),
    -- a run is open exactly while it is running
    CONSTRAINT runs_open_iff_running
        CHECK ((status = 'running') = (ended_at IS NULL AND duration_ms IS NULL))
);
CREATE INDEX runs_by_started ON runs (started_at, id);
CREATE INDEX runs_by_job     ON runs (job, started_at);
CREATE INDEX runs_by_status  ON runs (status, started_at);
CREATE INDEX runs_by_trigger ON runs (triggered_by, started_at);

-- Row accounting: one row per run x comune x source.
CREATE TABLE source_accounting (
    run_id           INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    comune           TEXT    NOT NULL CHECK (comune <> ''),
    source           TEXT    NOT NULL CHECK (source <> ''),
    status           TEXT    NOT NULL
        CONSTRAINT source_status_valid CHECK (status IN ('processed', 'unchanged', 'failed')),
    rows_read        INTEGER NOT NULL CHECK (rows_read >= 0),
    rows_written     INTEGER NOT NULL CHECK (rows_written >= 0),
    rows_quarantined INTEGER NOT NULL CHECK (rows_quarantined >= 0),
    fingerprint      TEXT,
    error            TEXT,
    quarantine_path  TEXT,
    recorded_at      TEXT    NOT NULL,
    PRIMARY KEY (run_id, comune, source),
    -- the platform's core invariant: every input row of a processed source
    -- ends up either in the output or in quarantine
    CONSTRAINT rows_accounted
        CHECK (status <> 'processed' OR rows_read = rows_written + rows_quarantined),
    -- whatever the status, no more rows can leave than came in
    CONSTRAINT rows_not_invented
        CHECK (rows_written + rows_quarantined <= rows_read)
);

-- Repairs applied while processing a source (repair code -> rows repaired).
CREATE TABLE source_repairs (
    run_id  INTEGER NOT NULL,
    comune  TEXT    NOT NULL,
    source  TEXT    NOT NULL,
    repair  TEXT    NOT NULL CHECK (repair <> ''),
    count   INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (run_id, comune, source, repair),
    FOREIGN KEY (run_id, comune, source)
        REFERENCES source_accounting (run_id, comune, source) ON DELETE CASCADE
);

-- Quality rule results: how many rows hit each rule, per run x comune x source.
CREATE TABLE quality_results (
    run_id   INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    comune   TEXT    NOT NULL CHECK (comune <> ''),
    source   TEXT    NOT NULL CHECK (source <> ''),
    rule     TEXT    NOT NULL CHECK (rule <> ''),
    severity TEXT    NOT NULL
        CONSTRAINT quality_severity_valid CHECK (severity IN ('error', 'warning', 'repair')),
    count    INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (run_id, comune, source, rule)
);

-- Input fingerprints: what (inputs + config + code version) last produced a
-- successful result for a key such as 'anagrafe/015146'.
CREATE TABLE fingerprints (
    key         TEXT    PRIMARY KEY CHECK (key <> ''),
    fingerprint TEXT    NOT NULL CHECK (fingerprint <> ''),
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    updated_at  TEXT    NOT NULL
);
CREATE INDEX fingerprints_by_run ON fingerprints (run_id);

-- Published datasets (upserted by name).
CREATE TABLE datasets (
    name           TEXT    PRIMARY KEY CHECK (name <> ''),
    title          TEXT    NOT NULL,
    description    TEXT    NOT NULL,
    schema_version TEXT    NOT NULL,
    personal_data  INTEGER NOT NULL CHECK (personal_data IN (0, 1)),
    registered_at  TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);

-- Immutable versions of a dataset partition; version numbers count up from 1
-- independently for each (dataset, partition).
CREATE TABLE dataset_versions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset        TEXT    NOT NULL REFERENCES datasets (name),
    partition_key  TEXT    CHECK (partition_key IS NULL OR partition_key <> ''),
    version        INTEGER NOT NULL CHECK (version >= 1),
    run_id         INTEGER NOT NULL REFERENCES runs (id),
    path           TEXT    NOT NULL CHECK (path <> ''),
    row_count      INTEGER NOT NULL CHECK (row_count >= 0),
    content_hash   TEXT    NOT NULL CHECK (content_hash <> ''),
    schema_version TEXT    NOT NULL,
    created_at     TEXT    NOT NULL
);
-- UNIQUE (dataset, partition, version), with "no partition" as one partition
-- (a plain UNIQUE would treat NULLs as all distinct).
CREATE UNIQUE INDEX dataset_versions_unique
    ON dataset_versions (dataset, IFNULL(partition_key, ''), version);
CREATE INDEX dataset_versions_by_run ON dataset_versions (run_id);

-- Lineage: input (url + fingerprint) --run--> output dataset version.
CREATE TABLE lineage (
    id                INTEGER PRIMARY KEY,
    run_id            INTEGER NOT NULL REFERENCES runs (id),
    input_url         TEXT    NOT NULL CHECK (input_url <> ''),
    input_fingerprint TEXT    NOT NULL,
    output_version_id INTEGER NOT NULL REFERENCES dataset_versions (id),
    recorded_at       TEXT    NOT NULL,
    UNIQUE (output_version_id, input_url, input_fingerprint)
);
CREATE INDEX lineage_by_input ON lineage (input_url);
CREATE INDEX lineage_by_run   ON lineage (run_id);
