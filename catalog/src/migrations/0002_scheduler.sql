-- metrodati catalog, migration 2: the scheduler (issue #3).
--
-- * runs.period: the fire time a run is for (RFC 3339 UTC), for scheduled,
--   catch-up, dependency and backfill runs; NULL for manual runs. Retries of
--   one fire share its period and count up `attempt`.
-- * job_leases: at most one scheduler runs a job at a time. A lease has an
--   owner and an expiry; it is taken with one conditional upsert (free,
--   expired, or already ours), renewed while the job runs, deleted at the end.
-- * scheduler_state: per job, the last fire time already handled (queued,
--   dropped or deliberately skipped), so that a restart neither loses nor
--   repeats fires.
-- * scheduler_queue: fires waiting to run or to be retried, and the one
--   running (run_id), so that queued work survives a restart.

ALTER TABLE runs ADD COLUMN period TEXT CHECK (period IS NULL OR period <> '');
CREATE INDEX runs_by_job_period ON runs (job, period, attempt);

CREATE TABLE job_leases (
    job         TEXT PRIMARY KEY CHECK (job <> ''),
    owner       TEXT NOT NULL CHECK (owner <> ''),
    acquired_at TEXT NOT NULL,
    renewed_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

CREATE TABLE scheduler_state (
    job        TEXT PRIMARY KEY CHECK (job <> ''),
    last_fire  TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE scheduler_queue (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    job           TEXT    NOT NULL CHECK (job <> ''),
    period        TEXT    NOT NULL CHECK (period <> ''),
    triggered_by  TEXT    NOT NULL
        CONSTRAINT queue_trigger_valid
        CHECK (triggered_by IN ('manual', 'scheduled', 'catch-up', 'backfill', 'dependency')),
    -- the attempt running (run_id set) or to run next
    attempt       INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    -- failed attempts counted against the job's retries.max
    retries_used  INTEGER NOT NULL DEFAULT 0 CHECK (retries_used >= 0),
    -- attempts cut short by a scheduler that died (not counted as retries)
    interruptions INTEGER NOT NULL DEFAULT 0 CHECK (interruptions >= 0),
    not_before    TEXT    NOT NULL,
    run_id        INTEGER REFERENCES runs (id),
    enqueued_at   TEXT    NOT NULL,
    UNIQUE (job, period)
);
CREATE INDEX scheduler_queue_by_job ON scheduler_queue (job, period, id);
