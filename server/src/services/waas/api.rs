//! The wire format of `api-comuni.yaml` (v2.0.1): query parameters, the
//! `Entries`/`Flusso` response and the `ElencoEsiti` request.

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use metrodati_catalog::{CodiceEsito, NewEsito, SiussFlow};
use serde::{Deserialize, Serialize};

/// `limit` when INPS does not send one.
pub const DEFAULT_LIMIT: usize = 10;
/// Largest `limit` (and `maxItems` of `elenco_flussi` and `elenco_esiti`).
pub const MAX_ITEMS: usize = 100;

/// `GET /flussi` parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlussiQuery {
    /// Unix ms (`UnixTimestamp`: `int64`, so at most 2^63 - 1, below the
    /// schema's `maximum` of 1e20).
    pub since: i64,
    pub limit: usize,
}

fn parse_uint(name: &str, v: &str) -> Result<u128, String> {
    if v.is_empty() || v.len() > 30 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{name}` must be a non-negative integer"));
    }
    v.parse::<u128>()
        .map_err(|_| format!("`{name}` must be a non-negative integer"))
}

/// Parses and checks the query string of `GET /flussi`: `since` required,
/// integer 0..=1e20; `limit` optional, integer 0..=100 (default 10); other
/// parameters are ignored, repeated ones refused.
pub fn parse_flussi_query(query: Option<&str>) -> Result<FlussiQuery, String> {
    let mut since = None;
    let mut limit = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let slot = match k.as_ref() {
            "since" => &mut since,
            "limit" => &mut limit,
            _ => continue,
        };
        if slot.is_some() {
            return Err(format!("`{k}` is given more than once"));
        }
        *slot = Some(v.into_owned());
    }
    let since =
        since.ok_or("`since` is required: the ts_flusso (Unix ms) of the last flow acquired, 0 at first")?;
    let since = i64::try_from(parse_uint("since", &since)?)
        .map_err(|_| "`since` must be an int64 (at most 9223372036854775807)".to_string())?;
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(l) => {
            let l = parse_uint("limit", &l)?;
            if l > MAX_ITEMS as u128 {
                return Err(format!("`limit` must be between 0 and {MAX_ITEMS}"));
            }
            l as usize
        }
    };
    Ok(FlussiQuery { since, limit })
}

/// `Entries`.
#[derive(Debug, Serialize)]
pub struct Entries {
    pub elenco_flussi: Vec<Flusso>,
}

/// `Flusso`.
#[derive(Debug, Serialize)]
pub struct Flusso {
    pub codice_ente: String,
    pub denominazione_ente: String,
    pub id_flusso: String,
    /// RFC 3339 UTC with milliseconds (`2026-03-05T08:00:00.123Z`).
    pub ts_flusso: String,
    pub tipo: &'static str,
    /// The XML in standard base64.
    pub flusso: String,
}

/// `ts_flusso` (Unix ms) as the API's `date-time`.
pub fn format_ts_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Length of the base64 form of `n` bytes.
pub fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

impl From<&SiussFlow> for Flusso {
    fn from(f: &SiussFlow) -> Flusso {
        Flusso {
            codice_ente: f.codice_ente.clone(),
            denominazione_ente: f.denominazione_ente.clone(),
            id_flusso: f.id_flusso.clone(),
            ts_flusso: format_ts_ms(f.ts_flusso),
            tipo: f.tipo.as_str(),
            flusso: base64::engine::general_purpose::STANDARD.encode(&f.flusso),
        }
    }
}

/// `ElencoEsiti` (no other top-level property).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ElencoEsiti {
    #[serde(default)]
    elenco_esiti: Vec<serde_json::Value>,
}

/// `EsitoFlusso` (other properties are allowed and ignored).
#[derive(Debug, Deserialize)]
struct EsitoFlusso {
    id_flusso: String,
    tipo: String,
    ts_flusso: String,
    ts_acquisizione: String,
    codice_esito: String,
    #[serde(default)]
    descrizione_esito: Option<String>,
    #[serde(default)]
    id_acquisizione_siuss: Option<String>,
}

fn rfc3339(field: &str, v: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{field} must be an RFC 3339 date-time"))
}

/// Parses and checks a `POST /esiti` body.
pub fn parse_esiti(body: &[u8]) -> Result<Vec<NewEsito>, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    if !value.is_object() {
        return Err("the body must be a JSON object (an ElencoEsiti)".into());
    }
    let list: ElencoEsiti =
        serde_json::from_value(value).map_err(|e| format!("the body is not an ElencoEsiti: {e}"))?;
    if list.elenco_esiti.len() > MAX_ITEMS {
        return Err(format!("elenco_esiti has more than {MAX_ITEMS} items"));
    }
    list.elenco_esiti
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let at = |f: &str| format!("elenco_esiti[{i}].{f}");
            let Some(obj) = e.as_object() else {
                return Err(format!("elenco_esiti[{i}] must be an EsitoFlusso object"));
            };
            // Optional, but strings when present (serde would take `null`).
            for f in ["descrizione_esito", "id_acquisizione_siuss"] {
                if obj.get(f).is_some_and(|v| !v.is_string()) {
                    return Err(format!("{} must be a string", at(f)));
                }
            }
            let e: EsitoFlusso =
                serde_json::from_value(e).map_err(|err| format!("elenco_esiti[{i}]: {err}"))?;
            let codice: CodiceEsito = e.codice_esito.parse().map_err(|_| {
                format!(
                    "{} must be one of OK, DATI_NON_TROVATI, RICHIESTA_INVALIDA, ERRORE_GENERICO",
                    at("codice_esito")
                )
            })?;
            rfc3339(&at("ts_flusso"), &e.ts_flusso)?;
            let ts_acquisizione = rfc3339(&at("ts_acquisizione"), &e.ts_acquisizione)?;
            Ok(NewEsito {
                id_flusso: e.id_flusso,
                tipo: e.tipo,
                ts_flusso: e.ts_flusso,
                ts_acquisizione,
                codice,
                descrizione: e.descrizione_esito,
                id_acquisizione_siuss: e.id_acquisizione_siuss,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flussi_query() {
        let q = |s: &str| parse_flussi_query(Some(s));
        assert_eq!(q("since=0").unwrap(), FlussiQuery { since: 0, limit: 10 });
        assert_eq!(
            q("limit=100&since=1490000000000&x=1").unwrap(),
            FlussiQuery {
                since: 1_490_000_000_000,
                limit: 100
            }
        );
        assert_eq!(q("since=5&limit=0").unwrap().limit, 0);
        assert_eq!(q("since=9223372036854775807").unwrap().since, i64::MAX);
        for bad in [
            "",
            "limit=5",
            "since=",
            "since=-1",
            "since=1.5",
            "since=1e3",
            "since=abc",
            "since=9223372036854775808",
            "since=100000000000000000000",
            "since=1&since=2",
            "since=1&limit=101",
            "since=1&limit=-1",
            "since=1&limit=",
            "since=%2B1",
        ] {
            assert!(q(bad).is_err(), "{bad:?}");
        }
        assert!(parse_flussi_query(None).is_err());
    }

    #[test]
    fn timestamps_and_base64() {
        assert_eq!(format_ts_ms(1_701_083_096_852), "2023-11-27T11:04:56.852Z");
        assert_eq!(format_ts_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(base64_len(0), 0);
        assert_eq!(base64_len(1), 4);
        assert_eq!(base64_len(3), 4);
        assert_eq!(base64_len(7_500_000), 10_000_000);
    }

    #[test]
    fn esiti_body() {
        let body = r#"{"elenco_esiti":[
            {"id_flusso":"H501.PS.20210520.0000002","ts_flusso":"2023-11-27T11:04:56.852Z",
             "ts_acquisizione":"2023-11-27T11:04:56.852Z","tipo":"PS_PSA_SINA","codice_esito":"OK",
             "id_acquisizione_siuss":"22738","extra":"ignored"},
            {"id_flusso":"H501.PS.20210520.00000004","ts_flusso":"2023-11-27T11:04:56.852+01:00",
             "ts_acquisizione":"2023-11-27T11:04:56Z","tipo":"SINBA","codice_esito":"RICHIESTA_INVALIDA",
             "descrizione_esito":"In cooperazione è possibile inviare solo un beneficiario"}]}"#;
        let e = parse_esiti(body.as_bytes()).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].codice, CodiceEsito::Ok);
        assert_eq!(e[0].id_acquisizione_siuss.as_deref(), Some("22738"));
        assert_eq!(e[1].codice, CodiceEsito::RichiestaInvalida);
        assert_eq!(e[1].ts_flusso, "2023-11-27T11:04:56.852+01:00");
        assert!(parse_esiti(b"{}").unwrap().is_empty());
        assert!(parse_esiti(br#"{"elenco_esiti":[]}"#).unwrap().is_empty());
        let one = r#"{"id_flusso":"x","ts_flusso":"2023-11-27T11:04:56Z","ts_acquisizione":"2023-11-27T11:04:56Z","tipo":"SINBA","codice_esito":"OK"}"#;
        let many = format!(r#"{{"elenco_esiti":[{}]}}"#, vec![one; 101].join(","));
        for bad in [
            "".to_string(),
            "[]".into(),
            "null".into(),
            r#"{"elenco_esiti":null}"#.into(),
            r#"{"other":[]}"#.into(),
            one.replace("\"OK\"", "\"ok\""),
            format!(r#"{{"elenco_esiti":[{}]}}"#, one.replace("\"OK\"", "\"ok\"")),
            format!(
                r#"{{"elenco_esiti":[{}]}}"#,
                one.replace("ts_acquisizione\":\"2023-11-27T11:04:56Z", "ts_acquisizione\":\"ieri")
            ),
            format!(r#"{{"elenco_esiti":[{}]}}"#, one.replace(r#""id_flusso":"x","#, "")),
            r#"{"elenco_esiti":[["x","SINBA","2023-11-27T11:04:56Z","2023-11-27T11:04:56Z","OK"]]}"#.into(),
            format!(
                r#"{{"elenco_esiti":[{}]}}"#,
                one.replace(r#""codice_esito":"OK""#, r#""codice_esito":"OK","id_acquisizione_siuss":null"#)
            ),
            format!(
                r#"{{"elenco_esiti":[{}]}}"#,
                one.replace(r#""codice_esito":"OK""#, r#""codice_esito":"OK","descrizione_esito":5"#)
            ),
            r#"{"elenco_esiti":[{"id_flusso":1,"ts_flusso":"2023-11-27T11:04:56Z","ts_acquisizione":"2023-11-27T11:04:56Z","tipo":"SINBA","codice_esito":"OK"}]}"#.into(),
            many,
        ] {
            assert!(parse_esiti(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
