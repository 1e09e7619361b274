//! Change tracking: what to send, given what the store holds now and what
//! the ledger says INPS has (or is about to have).
//!
//! For each record (PS: prestazione × year; SINBA: case × code):
//!
//! | ledger | store | flow of the last insertion | action |
//! |---|---|---|---|
//! | — or withdrawn | valid, due | — | **I** (`nuova`) |
//! | active, same content | valid, due | rejected `ERRORE_GENERICO` | **I** again, replacing it (`reinvio`) |
//! | active, same content | valid, due | anything else | nothing (a rejected flow waits for a fix) |
//! | active, changed | valid, due | pending or rejected | **I**, replacing it (`rettifica`): INPS never took the old one |
//! | active, changed | valid, due | sent or accepted | **C** of the old + **I** of the new (`rettifica`); SINBA: new snapshot |
//! | active | absent (withdrawn) | rejected | ledger → withdrawn, no flow |
//! | active | absent (withdrawn) | pending, sent, accepted | **C** (`ritiro`); SINBA: cannot be cancelled, reported |
//! | active | present but invalid or not due | — | nothing: INPS keeps the last good version, the violation is reported |
//! | withdrawn | absent | its cancellation rejected `ERRORE_GENERICO` | **C** again, replacing it (`reinvio`) |
//! | active | — | the cancellation of its previous version rejected `ERRORE_GENERICO` | reported: a late **C** could cancel the new version, so the steward checks with INPS |
//!
//! A record that is in the store but not sendable this month (invalid, or
//! not yet due) must be marked [`Now::Held`] by the caller under every key
//! the ledger has for it, so that it is never taken for withdrawn.
//!
//! Running the same plan twice sends nothing the second time: after the
//! first run the ledger holds the content hashes just sent.

use metrodati_catalog::{CodiceEsito, FlowState, FlowStatus, LedgerRecord, Motivo, RecordState};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A record as the store has it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Now {
    /// Valid and due: its content hash.
    Ready(String),
    /// In the store but not sendable this month (invalid, or not yet due).
    Held,
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send the record's current content with `TipoOperazione` I (or a SINBA
    /// snapshot), replacing a flow INPS has not taken.
    Insert {
        key: String,
        motivo: Motivo,
        replaces: Option<String>,
    },
    /// Send a cancellation built from the XML of `source` (an insertion, or
    /// a cancellation to retry), replacing `replaces`.
    Cancel {
        key: String,
        source: String,
        motivo: Motivo,
        replaces: Option<String>,
    },
    /// The record was withdrawn before INPS acquired it: no flow.
    Forget { key: String },
    /// Something the steward must handle by hand: a rule code and an
    /// Italian message; with `withdrawn`, the record is no longer live.
    Notice {
        key: String,
        rule: &'static str,
        message: String,
        withdrawn: bool,
    },
}

impl Action {
    /// The record key.
    pub fn key(&self) -> &str {
        match self {
            Action::Insert { key, .. }
            | Action::Cancel { key, .. }
            | Action::Forget { key }
            | Action::Notice { key, .. } => key,
        }
    }
}

/// Rule of a SINBA case withdrawn after it was sent (SINBA cannot cancel).
pub const WITHDRAWN_SINBA: &str = "siuss.sinba.withdrawn_after_send";
/// Rule of a cancellation of a previous version that failed after the new
/// version was sent.
pub const CANCEL_FAILED: &str = "siuss.cancel.failed_after_correction";

fn generic_error(f: &FlowState) -> bool {
    f.status == FlowStatus::Rejected
        && f.codice_esito == Some(CodiceEsito::ErroreGenerico)
        && f.superseded_by.is_none()
}

/// The actions for one flow type. `can_cancel` is false for SINBA (its XSD
/// has no TipoOperazione). Actions come in record-key order, a record's
/// cancellation before its new insertion.
pub fn plan(now: &BTreeMap<String, Now>, ledger: &[LedgerRecord], can_cancel: bool) -> Vec<Action> {
    let by_key: HashMap<&str, &LedgerRecord> = ledger.iter().map(|r| (r.record_key.as_str(), r)).collect();
    let keys: BTreeSet<&str> = now
        .keys()
        .map(String::as_str)
        .chain(by_key.keys().copied())
        .collect();
    let mut out = Vec::new();
    for key in keys {
        let k = key.to_string();
        let record = by_key.get(key).copied();
        // A cancellation INPS failed to process for a transient error: again
        // when it is the record's last word; after a correction, by hand.
        let failed_cancel = record.and_then(|r| r.cancel_flow.as_ref().map(|c| (r, c)));
        if let Some((r, c)) = failed_cancel.filter(|(_, c)| generic_error(c)) {
            if r.state == RecordState::Withdrawn {
                out.push(Action::Cancel {
                    key: k.clone(),
                    source: c.id_flusso.clone(),
                    motivo: Motivo::Reinvio,
                    replaces: Some(c.id_flusso.clone()),
                });
            } else {
                out.push(Action::Notice {
                    key: k.clone(),
                    rule: CANCEL_FAILED,
                    message: format!(
                        "la cancellazione {} della versione precedente è stata scartata dall'INPS per errore \
                         generico dopo l'invio della versione corretta ({}): verificare con l'INPS quale \
                         versione risulta registrata",
                        c.id_flusso, r.insert_flow.id_flusso
                    ),
                    withdrawn: false,
                });
            }
        }
        match (record, now.get(key)) {
            (None, Some(Now::Ready(_))) => out.push(Action::Insert {
                key: k,
                motivo: Motivo::Nuova,
                replaces: None,
            }),
            (Some(r), Some(Now::Ready(_))) if r.state == RecordState::Withdrawn => {
                let f = &r.insert_flow;
                // The old insertion never reached INPS and its cancellation
                // is not on its way: replace it. Otherwise a new one.
                let cancel_settled = r
                    .cancel_flow
                    .as_ref()
                    .is_none_or(|c| c.status == FlowStatus::Rejected);
                let open = matches!(f.status, FlowStatus::Pending | FlowStatus::Rejected)
                    && f.superseded_by.is_none()
                    && cancel_settled;
                out.push(Action::Insert {
                    key: k,
                    motivo: Motivo::Nuova,
                    replaces: open.then(|| f.id_flusso.clone()),
                })
            }
            (Some(r), Some(Now::Ready(hash))) => {
                let f = &r.insert_flow;
                if *hash == r.content_hash {
                    if generic_error(f) {
                        out.push(Action::Insert {
                            key: k,
                            motivo: Motivo::Reinvio,
                            replaces: Some(f.id_flusso.clone()),
                        });
                    }
                } else {
                    match f.status {
                        FlowStatus::Pending | FlowStatus::Rejected if f.superseded_by.is_none() => {
                            out.push(Action::Insert {
                                key: k,
                                motivo: Motivo::Rettifica,
                                replaces: Some(f.id_flusso.clone()),
                            })
                        }
                        FlowStatus::Pending | FlowStatus::Rejected => out.push(Action::Insert {
                            key: k,
                            motivo: Motivo::Rettifica,
                            replaces: None,
                        }),
                        FlowStatus::Sent | FlowStatus::Accepted => {
                            if can_cancel {
                                out.push(Action::Cancel {
                                    key: k.clone(),
                                    source: f.id_flusso.clone(),
                                    motivo: Motivo::Rettifica,
                                    replaces: None,
                                });
                            }
                            out.push(Action::Insert {
                                key: k,
                                motivo: Motivo::Rettifica,
                                replaces: None,
                            });
                        }
                    }
                }
            }
            (Some(r), None) if r.state == RecordState::Active => {
                let f = &r.insert_flow;
                if f.status == FlowStatus::Rejected {
                    out.push(Action::Forget { key: k });
                } else if can_cancel {
                    out.push(Action::Cancel {
                        key: k,
                        source: f.id_flusso.clone(),
                        motivo: Motivo::Ritiro,
                        replaces: None,
                    });
                } else {
                    out.push(Action::Notice {
                        key: k,
                        rule: WITHDRAWN_SINBA,
                        withdrawn: true,
                        message: format!(
                            "caso ritirato dalla cartella sociale dopo l'invio ({}): SINBA non prevede la \
                             cancellazione, segnalarlo all'INPS",
                            f.id_flusso
                        ),
                    });
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrodati_catalog::TipoFlusso;

    fn flow(id: &str, status: FlowStatus, esito: Option<CodiceEsito>) -> FlowState {
        FlowState {
            id_flusso: id.into(),
            status,
            codice_esito: esito,
            superseded_by: None,
        }
    }

    fn rec(key: &str, hash: &str, insert: FlowState) -> LedgerRecord {
        LedgerRecord {
            codice_ente: "F205".into(),
            tipo: TipoFlusso::PsPsaSina,
            record_key: key.into(),
            identifier: key.split('@').next().unwrap().into(),
            state: RecordState::Active,
            content_hash: hash.into(),
            insert_flow: insert,
            cancel_flow: None,
        }
    }

    fn now(items: &[(&str, Option<&str>)]) -> BTreeMap<String, Now> {
        items
            .iter()
            .map(|(k, h)| (k.to_string(), h.map_or(Now::Held, |h| Now::Ready(h.into()))))
            .collect()
    }

    fn ins(key: &str, motivo: Motivo, replaces: Option<&str>) -> Action {
        Action::Insert {
            key: key.into(),
            motivo,
            replaces: replaces.map(str::to_string),
        }
    }

    fn can(key: &str, source: &str, motivo: Motivo, replaces: Option<&str>) -> Action {
        Action::Cancel {
            key: key.into(),
            source: source.into(),
            motivo,
            replaces: replaces.map(str::to_string),
        }
    }

    #[test]
    fn new_records_are_inserted_once() {
        let n = now(&[("a@2025", Some("h1")), ("b@2025", None)]);
        assert_eq!(plan(&n, &[], true), [ins("a@2025", Motivo::Nuova, None)]);
        // After the insertion, the same store sends nothing.
        let l = [rec("a@2025", "h1", flow("F1", FlowStatus::Pending, None))];
        assert!(plan(&n, &l, true).is_empty());
        let l = [rec(
            "a@2025",
            "h1",
            flow("F1", FlowStatus::Accepted, Some(CodiceEsito::Ok)),
        )];
        assert!(plan(&n, &l, true).is_empty());
    }

    #[test]
    fn a_correction_is_cancel_then_insert_once_inps_has_it() {
        let n = now(&[("a@2025", Some("h2"))]);
        for status in [FlowStatus::Sent, FlowStatus::Accepted] {
            let l = [rec("a@2025", "h1", flow("F1", status, None))];
            assert_eq!(
                plan(&n, &l, true),
                [
                    can("a@2025", "F1", Motivo::Rettifica, None),
                    ins("a@2025", Motivo::Rettifica, None)
                ]
            );
            // SINBA: a new snapshot only.
            assert_eq!(plan(&n, &l, false), [ins("a@2025", Motivo::Rettifica, None)]);
        }
        // Not yet taken by INPS: the pending flow is replaced.
        let l = [rec("a@2025", "h1", flow("F1", FlowStatus::Pending, None))];
        assert_eq!(plan(&n, &l, true), [ins("a@2025", Motivo::Rettifica, Some("F1"))]);
    }

    #[test]
    fn esiti_drive_resubmission() {
        // Rejected for the data: nothing until the steward fixes it...
        let rejected = flow("F1", FlowStatus::Rejected, Some(CodiceEsito::DatiNonTrovati));
        let l = [rec("a@2025", "h1", rejected)];
        assert!(plan(&now(&[("a@2025", Some("h1"))]), &l, true).is_empty());
        // ...then the fixed content replaces the rejected flow.
        assert_eq!(
            plan(&now(&[("a@2025", Some("h2"))]), &l, true),
            [ins("a@2025", Motivo::Rettifica, Some("F1"))]
        );
        // A transient INPS error: the same content again.
        let l = [rec(
            "a@2025",
            "h1",
            flow("F1", FlowStatus::Rejected, Some(CodiceEsito::ErroreGenerico)),
        )];
        assert_eq!(
            plan(&now(&[("a@2025", Some("h1"))]), &l, true),
            [ins("a@2025", Motivo::Reinvio, Some("F1"))]
        );
    }

    #[test]
    fn withdrawn_records_are_cancelled() {
        let n = now(&[]);
        let l = [rec(
            "a@2025",
            "h1",
            flow("F1", FlowStatus::Accepted, Some(CodiceEsito::Ok)),
        )];
        assert_eq!(plan(&n, &l, true), [can("a@2025", "F1", Motivo::Ritiro, None)]);
        assert!(matches!(&plan(&n, &l, false)[..], [Action::Notice { .. }]));
        // Never acquired: forgotten, no flow.
        let l = [rec(
            "a@2025",
            "h1",
            flow("F1", FlowStatus::Rejected, Some(CodiceEsito::RichiestaInvalida)),
        )];
        assert_eq!(plan(&n, &l, true), [Action::Forget { key: "a@2025".into() }]);
        // Already withdrawn: nothing more.
        let mut w = rec(
            "a@2025",
            "h1",
            flow("F1", FlowStatus::Accepted, Some(CodiceEsito::Ok)),
        );
        w.state = RecordState::Withdrawn;
        w.cancel_flow = Some(flow("F2", FlowStatus::Accepted, Some(CodiceEsito::Ok)));
        assert!(plan(&n, &[w.clone()], true).is_empty());
        // Back in the cartella: inserted again.
        assert_eq!(
            plan(&now(&[("a@2025", Some("h1"))]), &[w.clone()], true),
            [ins("a@2025", Motivo::Nuova, None)]
        );
        // Withdrawn after a rejection, then back: the rejected flow is replaced.
        let mut f = rec(
            "b@2025",
            "h1",
            flow("F3", FlowStatus::Rejected, Some(CodiceEsito::DatiNonTrovati)),
        );
        f.state = RecordState::Withdrawn;
        assert_eq!(
            plan(&now(&[("b@2025", Some("h2"))]), &[f.clone()], true),
            [ins("b@2025", Motivo::Nuova, Some("F3"))]
        );
        // ...unless a cancellation of it is on its way: then a new one.
        f.insert_flow = flow("F3", FlowStatus::Pending, None);
        f.cancel_flow = Some(flow("F4", FlowStatus::Pending, None));
        assert_eq!(
            plan(&now(&[("b@2025", Some("h2"))]), &[f], true),
            [ins("b@2025", Motivo::Nuova, None)]
        );
        // Its cancellation failed for a transient error: cancelled again.
        w.cancel_flow = Some(flow(
            "F2",
            FlowStatus::Rejected,
            Some(CodiceEsito::ErroreGenerico),
        ));
        assert_eq!(
            plan(&n, &[w.clone()], true),
            [can("a@2025", "F2", Motivo::Reinvio, Some("F2"))]
        );
        // The cancellation of the old version of a corrected record failed:
        // a late C could cancel the new version; the steward is told.
        w.state = RecordState::Active;
        let a = plan(&now(&[("a@2025", Some("h1"))]), &[w], true);
        assert!(
            matches!(
                &a[..],
                [Action::Notice {
                    rule: CANCEL_FAILED,
                    withdrawn: false,
                    ..
                }]
            ),
            "{a:?}"
        );
    }

    #[test]
    fn invalid_or_future_records_keep_what_inps_has() {
        let l = [rec(
            "a@2025",
            "h1",
            flow("F1", FlowStatus::Accepted, Some(CodiceEsito::Ok)),
        )];
        assert!(plan(&now(&[("a@2025", None)]), &l, true).is_empty());
    }
}
