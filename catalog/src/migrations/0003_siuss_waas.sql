-- metrodati catalog, migration 3: SIUSS flows for the WaaS e-service (issue #4).
--
-- * siuss_flows: one row per flow (one beneficiary, one prestazione) that a
--   comune offers INPS through `GET /flussi`. The XML is kept as bytes (the
--   server encodes it in base64). `ts_flusso` (Unix ms) is INPS's cursor
--   (`since`): it is unique and strictly increasing per ente, so a flow is
--   never skipped when a page ends between two flows. `status`:
--     pending  — built, not yet handed to INPS;
--     sent     — returned by GET /flussi at least once, no esito yet;
--     accepted — esito OK (id_acquisizione_siuss set);
--     rejected — esito DATI_NON_TROVATI, RICHIESTA_INVALIDA or ERRORE_GENERICO:
--                to be fixed and resubmitted as a new flow (`superseded_by`).
--   The latest esito (by ts_acquisizione) is copied onto the flow.
-- * siuss_esiti: every esito received through `POST /esiti`, as received,
--   including the ones whose id_flusso is unknown for that ente
--   (`flow_id` NULL), for the steward report.

CREATE TABLE siuss_flows (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    codice_ente           TEXT    NOT NULL
        CONSTRAINT siuss_flows_ente_belfiore
        CHECK (length(codice_ente) = 4 AND codice_ente GLOB '[A-Z][0-9][0-9][0-9]'),
    denominazione_ente    TEXT    NOT NULL
        CHECK (denominazione_ente <> '' AND length(denominazione_ente) <= 256),
    id_flusso             TEXT    NOT NULL UNIQUE
        CHECK (id_flusso <> '' AND length(id_flusso) <= 64),
    tipo                  TEXT    NOT NULL
        CONSTRAINT siuss_flows_tipo_valid CHECK (tipo IN ('PS_PSA_SINA', 'SINBA')),
    ts_flusso             INTEGER NOT NULL CHECK (ts_flusso >= 0),
    flusso                BLOB    NOT NULL CHECK (length(flusso) > 0),
    status                TEXT    NOT NULL DEFAULT 'pending'
        CONSTRAINT siuss_flows_status_valid
        CHECK (status IN ('pending', 'sent', 'accepted', 'rejected')),
    created_at            TEXT    NOT NULL,
    first_sent_at         TEXT,
    last_sent_at          TEXT,
    times_sent            INTEGER NOT NULL DEFAULT 0 CHECK (times_sent >= 0),
    -- the latest esito
    codice_esito          TEXT
        CONSTRAINT siuss_flows_esito_valid
        CHECK (codice_esito IS NULL
               OR codice_esito IN ('OK', 'DATI_NON_TROVATI', 'RICHIESTA_INVALIDA', 'ERRORE_GENERICO')),
    descrizione_esito     TEXT,
    id_acquisizione_siuss TEXT,
    ts_acquisizione       TEXT,
    esito_received_at     TEXT,
    -- the flow that replaces this one (after a rejection, or before it was sent)
    superseded_by         TEXT REFERENCES siuss_flows (id_flusso),
    UNIQUE (codice_ente, ts_flusso),
    CONSTRAINT siuss_flows_status_matches_esito CHECK (
        -- IS / IFNULL: a NULL comparison must not let a row through
        (status = 'accepted' AND codice_esito IS 'OK')
        OR (status = 'rejected'
            AND IFNULL(codice_esito, '') IN ('DATI_NON_TROVATI', 'RICHIESTA_INVALIDA', 'ERRORE_GENERICO'))
        OR (status IN ('pending', 'sent') AND codice_esito IS NULL)
    )
);
CREATE INDEX siuss_flows_by_status ON siuss_flows (codice_ente, status, ts_flusso);

CREATE TABLE siuss_esiti (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    codice_ente           TEXT    NOT NULL CHECK (codice_ente <> ''),
    id_flusso             TEXT    NOT NULL,
    -- NULL: no flow of this ente has that id_flusso
    flow_id               INTEGER REFERENCES siuss_flows (id),
    tipo                  TEXT    NOT NULL,
    ts_flusso             TEXT    NOT NULL,
    ts_acquisizione       TEXT    NOT NULL,
    codice_esito          TEXT    NOT NULL
        CONSTRAINT siuss_esiti_esito_valid
        CHECK (codice_esito IN ('OK', 'DATI_NON_TROVATI', 'RICHIESTA_INVALIDA', 'ERRORE_GENERICO')),
    descrizione_esito     TEXT,
    id_acquisizione_siuss TEXT,
    received_at           TEXT    NOT NULL,
    -- INPS retries a notification it thinks failed: the same esito is kept once
    UNIQUE (codice_ente, id_flusso, ts_acquisizione, codice_esito)
);
CREATE INDEX siuss_esiti_by_flow ON siuss_esiti (flow_id);
CREATE INDEX siuss_esiti_by_ente ON siuss_esiti (codice_ente, received_at);
