-- metrodati catalog, migration 4: what the siuss pipeline submitted, and why (issue #4).
--
-- * siuss_flow_meta: for every flow the siuss pipeline built, the record it
--   carries and why it was built. `canale`: `waas` flows are served to INPS by
--   `metrodati serve` (GET /flussi); `upload` flows go into the bulk file that
--   the comune uploads on the INPS web application and are never served.
--   `operazione`: I (TipoOperazione I), C (TipoOperazione C), S (a SINBA
--   snapshot: SINBA has no TipoOperazione). `motivo`: nuova, rettifica,
--   reinvio (after an esito), ritiro (cancellation of a withdrawn record).
-- * siuss_records: the ledger of change tracking, one row per record
--   (prestazione × calendar year, or SINBA case × codice prestazione) ever
--   submitted: the hash of the content last inserted, the flow that
--   inserted it and, once withdrawn, the flow that cancelled it. A run
--   compares the store with this table and builds only the difference, so
--   nothing is sent twice.
-- * siuss_issues: the violations found by the latest run for an ente and a
--   month (never sent), for the steward report. A SINBA row never carries
--   the codice fiscale (CHECK).
-- * siuss_bulk_files: the bulk files written for comuni that upload on the
--   INPS web application (their names are unique at INPS: the daily
--   progressive comes from here), recorded in the same transaction as their
--   flows.
-- * siuss_keys: the fingerprint of the SINBA pseudonym secret, so that a
--   changed secret (which would change every IDBeneficiario) is refused.

CREATE TABLE siuss_flow_meta (
    id_flusso          TEXT    PRIMARY KEY REFERENCES siuss_flows (id_flusso),
    run_id             INTEGER REFERENCES runs (id),
    canale             TEXT    NOT NULL CHECK (canale IN ('waas', 'upload')),
    periodo            TEXT    NOT NULL
        CHECK (length(periodo) = 7 AND periodo GLOB '[12][0-9][0-9][0-9]-[01][0-9]'),
    record_key         TEXT    NOT NULL CHECK (record_key <> ''),
    identifier         TEXT    NOT NULL,
    codice_prestazione TEXT    NOT NULL,
    operazione         TEXT    NOT NULL CHECK (operazione IN ('I', 'C', 'S')),
    motivo             TEXT    NOT NULL CHECK (motivo IN ('nuova', 'rettifica', 'reinvio', 'ritiro'))
) WITHOUT ROWID;
CREATE INDEX siuss_flow_meta_by_period ON siuss_flow_meta (periodo);

CREATE TABLE siuss_records (
    codice_ente  TEXT NOT NULL,
    tipo         TEXT NOT NULL CHECK (tipo IN ('PS_PSA_SINA', 'SINBA')),
    record_key   TEXT NOT NULL CHECK (record_key <> ''),
    identifier   TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('active', 'withdrawn')),
    content_hash TEXT NOT NULL CHECK (content_hash <> ''),
    insert_flow  TEXT NOT NULL REFERENCES siuss_flows (id_flusso),
    cancel_flow  TEXT REFERENCES siuss_flows (id_flusso),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (codice_ente, tipo, record_key)
) WITHOUT ROWID;

CREATE TABLE siuss_issues (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    codice_ente        TEXT    NOT NULL,
    periodo            TEXT    NOT NULL,
    run_id             INTEGER REFERENCES runs (id),
    tipo               TEXT    NOT NULL CHECK (tipo IN ('PS_PSA_SINA', 'SINBA')),
    record_key         TEXT    NOT NULL,
    identifier         TEXT    NOT NULL,
    codice_prestazione TEXT,
    codice_fiscale     TEXT,
    field              TEXT,
    rule               TEXT    NOT NULL CHECK (rule <> ''),
    message            TEXT    NOT NULL,
    CONSTRAINT siuss_issues_sinba_without_cf CHECK (tipo = 'PS_PSA_SINA' OR codice_fiscale IS NULL)
);
CREATE INDEX siuss_issues_by_period ON siuss_issues (codice_ente, periodo);

CREATE TABLE siuss_keys (
    name        TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE siuss_bulk_files (
    nome        TEXT    PRIMARY KEY CHECK (nome <> ''),
    codice_ente TEXT    NOT NULL,
    tipo        TEXT    NOT NULL CHECK (tipo IN ('PS_PSA_SINA', 'SINBA')),
    periodo     TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    run_id      INTEGER REFERENCES runs (id),
    flows       INTEGER NOT NULL CHECK (flows > 0),
    created_at  TEXT    NOT NULL
) WITHOUT ROWID;
