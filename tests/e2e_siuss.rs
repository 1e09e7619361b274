//! End to end: from the Cartella Sociale exports to INPS SIUSS and back.
//!
//! Two comuni with CSV cartelle: Pioltello (015175, G686) on WaaS and
//! Legnano (015118, E514) uploading on the INPS web application. The test
//! runs the binary (sample → anagrafe → sociale → siuss), serves the flows
//! with `metrodati serve` to an INPS client holding PDND vouchers, posts
//! esiti, changes the exports the way a social worker does, and checks at
//! each step what is sent: every flow valid against the official XSD
//! (xmllint), nothing sent twice, cancellations and corrections, resubmission
//! driven by the esiti, no codice fiscale in SINBA, the steward report.

mod common;

use base64::Engine as _;
use common::{root, shared, Env};
use metrodati_catalog::{Catalog, FlowStatus, Motivo, Operazione, TipoFlusso};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const WAAS: &str = "015175";
const WAAS_BELFIORE: &str = "G686";
const UPLOAD: &str = "015118";
const UPLOAD_BELFIORE: &str = "E514";
const MESE: &str = "2025-12";
const ISSUER: &str = "interop.pagopa.it";

fn aud(belfiore: &str) -> String {
    format!("https://waas.test.invalid/waas/{belfiore}/v1")
}

fn specs() -> PathBuf {
    std::env::var_os("METRODATI_SPECS")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared().join("specs"))
}

/// Validates XML files against an official XSD with xmllint.
fn xmllint(xsd: &str, files: &[PathBuf]) {
    if files.is_empty() {
        return;
    }
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(specs().join("inps").join(xsd))
        .args(files)
        .output()
        .expect("xmllint (libxml2-utils) is installed by scripts/test.sh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "xmllint {xsd}:\n{stderr}");
    assert_eq!(stderr.matches(" validates").count(), files.len(), "{stderr}");
}

/// Every flow stored in the catalog, validated against its XSD.
fn validate_catalog_flows(env: &Env, cat: &Catalog) -> usize {
    let dir = env.dir.path().join("xml");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut ps = Vec::new();
    let mut sinba = Vec::new();
    for ente in [WAAS_BELFIORE, UPLOAD_BELFIORE] {
        for status in FlowStatus::ALL {
            for f in cat.siuss_flows_by_status(Some(ente), *status).unwrap() {
                let path = dir.join(format!("{}.xml", f.id_flusso));
                std::fs::write(&path, &f.flusso).unwrap();
                let xml = String::from_utf8(f.flusso.clone()).unwrap();
                match f.tipo {
                    TipoFlusso::PsPsaSina => {
                        let p = metrodati_siuss::parse_ps(&xml).unwrap();
                        assert_eq!(p.beneficiari.len(), 1, "{}: one beneficiary", f.id_flusso);
                        assert_eq!(
                            p.beneficiari[0].prestazioni.len(),
                            1,
                            "{}: one prestazione",
                            f.id_flusso
                        );
                        assert_eq!(p.nome, f.id_flusso);
                        ps.push(path);
                    }
                    TipoFlusso::Sinba => {
                        let s = metrodati_siuss::parse_sinba(&xml).unwrap();
                        assert_eq!(s.casi.len(), 1);
                        assert_eq!(s.casi[0].prestazioni.len(), 1);
                        assert!(!xml.contains("CodiceFiscale"), "SINBA carries no codice fiscale");
                        sinba.push(path);
                    }
                }
            }
        }
    }
    xmllint("PS_PSA_SINA201812.xsd", &ps);
    xmllint("SINBA.xsd", &sinba);
    ps.len() + sinba.len()
}

/// The codici fiscali of the residents of the two comuni.
fn residents_cf(env: &Env) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for istat in [WAAS, UPLOAD] {
        let df = env.partition("persona", istat);
        out.extend(
            df.column("tax_code")
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .flatten()
                .map(str::to_string),
        );
    }
    out
}

/// Flows of the siuss pipeline with their metadata, by id.
fn metas(cat: &Catalog) -> BTreeMap<String, (metrodati_catalog::FlowMeta, FlowStatus, Option<String>)> {
    let mut out = BTreeMap::new();
    for ente in [WAAS_BELFIORE, UPLOAD_BELFIORE] {
        for f in cat.siuss_report_flows(ente, MESE).unwrap() {
            out.insert(
                f.id_flusso.clone(),
                (f.meta.clone(), f.status, f.superseded_by.clone()),
            );
        }
    }
    out
}

fn siuss(env: &Env) -> String {
    env.run_ok(&[
        "run",
        "siuss",
        "--mese",
        MESE,
        "--comuni",
        &format!("{WAAS},{UPLOAD}"),
    ])
}

// ---------------------------------------------------------------------------
// The INPS side: a PDND voucher and a minimal HTTP client.
// ---------------------------------------------------------------------------

fn voucher(audience: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "iss": ISSUER, "aud": audience, "sub": "inps", "client_id": "inps", "purposeId": "siuss",
        "jti": format!("jti-{now}-{audience}"), "iat": now, "nbf": now, "exp": now + 600
    });
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    h.typ = Some("at+jwt".into());
    h.kid = Some("test-kid-a".into());
    let pem = std::fs::read(root().join("server/tests/fixtures/TEST-ONLY-voucher-key-a.pem")).unwrap();
    jsonwebtoken::encode(
        &h,
        &claims,
        &jsonwebtoken::EncodingKey::from_rsa_pem(&pem).unwrap(),
    )
    .unwrap()
}

fn http(addr: &str, method: &str, path: &str, token: &str, body: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        // De-chunk.
        let mut out = String::new();
        let mut r = rest;
        while let Some((size, tail)) = r.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.push_str(&tail[..n]);
            r = &tail[n + 2..];
        }
        out
    } else {
        rest.to_string()
    };
    (status, body)
}

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(env: &Env) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let key = root().join("server/tests/fixtures/TEST-ONLY-voucher-key-a.pub.pem");
    let toml = format!(
        r#"
[server]
bind = "{addr}"
shutdown_grace = "1s"

[waas]
issuers = ["{ISSUER}"]
public_keys = [{{ pem = "{}", kid = "test-kid-a" }}]

[[waas.comuni]]
belfiore = "{WAAS_BELFIORE}"
audience = "{}"

[[waas.comuni]]
belfiore = "{UPLOAD_BELFIORE}"
audience = "{}"
"#,
        key.display(),
        aud(WAAS_BELFIORE),
        aud(UPLOAD_BELFIORE)
    );
    let path = env.dir.path().join("serve.toml");
    std::fs::write(&path, toml).unwrap();
    let child = env
        .cmd(&["serve", "--serve-config", path.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, addr };
    let started = Instant::now();
    while TcpStream::connect(&server.addr).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "metrodati serve did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

/// Every flow INPS gets for `belfiore`, paging with its cursor like INPS.
fn pull(server: &Server, belfiore: &str) -> Vec<Value> {
    let token = voucher(&aud(belfiore));
    let mut since = 0i64;
    let mut all = Vec::new();
    loop {
        let (status, body) = http(
            &server.addr,
            "GET",
            &format!("/waas/{belfiore}/v1/flussi?since={since}&limit=7"),
            &token,
            None,
        );
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        let page = v["elenco_flussi"].as_array().unwrap().clone();
        if page.is_empty() {
            return all;
        }
        let last = page.last().unwrap()["ts_flusso"].as_str().unwrap().to_string();
        since = chrono::DateTime::parse_from_rfc3339(&last)
            .unwrap()
            .timestamp_millis();
        all.extend(page);
    }
}

fn esito(server: &Server, belfiore: &str, flow: &Value, codice: &str, descr: &str, id_acq: Option<&str>) {
    let mut e = json!({
        "id_flusso": flow["id_flusso"], "tipo": flow["tipo"], "ts_flusso": flow["ts_flusso"],
        "ts_acquisizione": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "codice_esito": codice, "descrizione_esito": descr
    });
    if let Some(id) = id_acq {
        e["id_acquisizione_siuss"] = json!(id);
    }
    let body = json!({ "elenco_esiti": [e] }).to_string();
    let (status, text) = http(
        &server.addr,
        "POST",
        &format!("/waas/{belfiore}/v1/esiti"),
        &voucher(&aud(belfiore)),
        Some(&body),
    );
    assert_eq!(status, 204, "{text}");
}

// ---------------------------------------------------------------------------
// The social worker's side: editing a cp1252 `;` CSV export.
// ---------------------------------------------------------------------------

fn export(env: &Env, istat: &str) -> PathBuf {
    let dir = env.data().join("sample/sociale").join(istat);
    std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("CS_PRESTAZIONI_")
        })
        .unwrap_or_else(|| panic!("no CS_PRESTAZIONI export in {}", dir.display()))
}

/// Rewrites the export: `edit` gets the header and each row, and returns
/// `None` to delete the row.
fn edit_export(path: &Path, mut edit: impl FnMut(&[String], Vec<String>) -> Option<Vec<String>>) {
    let bytes = std::fs::read(path).unwrap();
    let (text, _, bad) = encoding_rs::WINDOWS_1252.decode(&bytes);
    assert!(!bad);
    let mut r = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_writer(Vec::new());
    w.write_record(&header).unwrap();
    for rec in r.records() {
        let row: Vec<String> = rec.unwrap().iter().map(str::to_string).collect();
        if let Some(row) = edit(&header, row) {
            w.write_record(&row).unwrap();
        }
    }
    let out = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let (encoded, _, _) = encoding_rs::WINDOWS_1252.encode(&out);
    std::fs::write(path, encoded).unwrap();
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

#[test]
fn siuss_month_end_to_end_through_waas() {
    let env = Env::with_settings(&format!(
        "\n[siuss]\ncf_operatore = \"08911820960\"\nupload = [\"{UPLOAD}\"]\n"
    ));
    let comuni = format!("{WAAS},{UPLOAD}");
    env.run_ok(&["sample", "--comuni", &comuni]);
    let secret = env.data().join("secrets/sinba.key");
    assert!(secret.exists(), "the sample creates the demo SINBA secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    env.run_ok(&["run", "anagrafe", "--comuni", &comuni]);
    env.run_ok(&["run", "sociale", "--comuni", &comuni]);

    // --- 1. The first month: every valid record once, every flow valid. ---
    siuss(&env);
    let cat = env.catalog();
    let first = metas(&cat);
    assert!(first.len() > 30, "{} flows", first.len());
    assert_eq!(validate_catalog_flows(&env, &cat), first.len());
    assert!(first.values().all(|(m, _, _)| m.motivo == Motivo::Nuova));
    let keys: BTreeSet<String> = first
        .values()
        .map(|(m, _, _)| format!("{}:{}", &m.id_flusso[..4], m.record_key))
        .collect();
    assert_eq!(keys.len(), first.len(), "one flow per record");
    let sinba: Vec<_> = first
        .values()
        .filter(|(m, _, _)| m.operazione == Operazione::Snapshot)
        .collect();
    assert!(!sinba.is_empty(), "SINBA cases are sent");

    // No codice fiscale of a resident appears in a SINBA flow nor next to a
    // SINBA row of the report; the pseudonym is never in the report.
    let cfs = residents_cf(&env);
    for ente in [WAAS_BELFIORE, UPLOAD_BELFIORE] {
        for f in cat
            .siuss_flows_by_status(Some(ente), FlowStatus::Pending)
            .unwrap()
        {
            if f.tipo == TipoFlusso::Sinba {
                let xml = String::from_utf8(f.flusso).unwrap();
                assert!(!cfs.iter().any(|cf| xml.contains(cf.as_str())));
            }
        }
    }

    // The steward report: CSV and XLSX, owner-only, every flow and every held record.
    for (istat, belfiore) in [(WAAS, WAAS_BELFIORE), (UPLOAD, UPLOAD_BELFIORE)] {
        let dir = env.data().join("siuss").join(istat).join(MESE);
        let csv_path = dir.join(format!("siuss_{istat}_{MESE}.csv"));
        let xlsx_path = dir.join(format!("siuss_{istat}_{MESE}.xlsx"));
        assert!(xlsx_path.exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&csv_path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let text = std::fs::read_to_string(&csv_path).unwrap();
        let mut r = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        let flows = first
            .values()
            .filter(|(m, _, _)| m.id_flusso.starts_with(belfiore))
            .count();
        let issues = cat.siuss_issues(belfiore, MESE).unwrap();
        assert_eq!(rows.len(), flows + issues.len());
        for row in &rows {
            if &row[1] == "SINBA" {
                assert_eq!(&row[4], "", "no codice fiscale on a SINBA row");
            }
        }
        for i in &issues {
            assert!(!i.rule.is_empty() && !i.message.is_empty());
        }
    }
    // The sample's mistakes are held back with their rule (not all rows are valid).
    let held: usize = [WAAS_BELFIORE, UPLOAD_BELFIORE]
        .iter()
        .map(|b| cat.siuss_issues(b, MESE).unwrap().len())
        .sum();
    assert!(held > 0, "the sample's mistakes reach the steward report");

    // The upload comune: bulk files, valid, with every flow of the run.
    let bulk: Vec<PathBuf> = std::fs::read_dir(env.data().join("siuss").join(UPLOAD).join(MESE))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    let ps_bulk: Vec<PathBuf> = bulk
        .iter()
        .filter(|p| p.to_string_lossy().contains(".PS."))
        .cloned()
        .collect();
    let sinba_bulk: Vec<PathBuf> = bulk
        .iter()
        .filter(|p| p.to_string_lossy().contains(".SINBA."))
        .cloned()
        .collect();
    assert_eq!(ps_bulk.len(), 1);
    xmllint("PS_PSA_SINA201812.xsd", &ps_bulk);
    xmllint("SINBA.xsd", &sinba_bulk);
    let parsed = metrodati_siuss::parse_ps(&std::fs::read_to_string(&ps_bulk[0]).unwrap()).unwrap();
    let in_bulk: usize = parsed.beneficiari.iter().map(|b| b.prestazioni.len()).sum();
    let upload_ps = first
        .values()
        .filter(|(m, _, _)| {
            m.id_flusso.starts_with(UPLOAD_BELFIORE) && m.operazione == Operazione::Inserimento
        })
        .count();
    assert_eq!(in_bulk, upload_ps);

    // --- 2. Rerun: nothing is sent twice. ---
    siuss(&env);
    assert_eq!(metas(&cat).len(), first.len(), "a rerun sends nothing");

    // --- 3. INPS pulls through WaaS and answers. ---
    let server = serve(&env);
    let pulled = pull(&server, WAAS_BELFIORE);
    let waas_flows = first
        .values()
        .filter(|(m, _, _)| m.id_flusso.starts_with(WAAS_BELFIORE))
        .count();
    assert_eq!(
        pulled.len(),
        waas_flows,
        "INPS gets every flow of the WaaS comune once"
    );
    for f in &pulled {
        let xml = base64::engine::general_purpose::STANDARD
            .decode(f["flusso"].as_str().unwrap())
            .unwrap();
        let stored = cat.siuss_flow(f["id_flusso"].as_str().unwrap()).unwrap().unwrap();
        assert_eq!(xml, stored.flusso);
    }
    assert!(
        pull(&server, UPLOAD_BELFIORE).is_empty(),
        "upload comuni are never served"
    );
    // A voucher for the other comune reads nothing of this one.
    let (status, _) = http(
        &server.addr,
        "GET",
        &format!("/waas/{WAAS_BELFIORE}/v1/flussi?since=0"),
        &voucher(&aud(UPLOAD_BELFIORE)),
        None,
    );
    assert!(status == 401 || status == 403, "{status}");

    // Esiti: the PS flows in order: the first rejected for its data, the
    // second with a transient error, the third accepted (it will be
    // corrected), the fourth accepted (it will be withdrawn), the fifth and
    // sixth accepted (they will be broken: one so that the sociale pipeline
    // rejects the row, one so that only the SIUSS rules do), the rest OK.
    let ps: Vec<&Value> = pulled.iter().filter(|f| f["tipo"] == "PS_PSA_SINA").collect();
    assert!(ps.len() >= 6);
    let id = |f: &Value| f["id_flusso"].as_str().unwrap().to_string();
    let key_of = |f: &Value| first[&id(f)].0.record_key.clone();
    let ident_of = |f: &Value| first[&id(f)].0.identifier.clone();
    let (rejected, transient, corrected, withdrawn) = (ps[0], ps[1], ps[2], ps[3]);
    let (broken_row, broken_siuss) = (ps[4], ps[5]);
    esito(
        &server,
        WAAS_BELFIORE,
        rejected,
        "RICHIESTA_INVALIDA",
        "ProtocolloDomanda non valido",
        None,
    );
    esito(
        &server,
        WAAS_BELFIORE,
        transient,
        "ERRORE_GENERICO",
        "servizio non disponibile",
        None,
    );
    for (n, f) in pulled
        .iter()
        .enumerate()
        .filter(|(_, f)| id(f) != id(rejected) && id(f) != id(transient))
    {
        esito(
            &server,
            WAAS_BELFIORE,
            f,
            "OK",
            "acquisito",
            Some(&format!("SIUSS-{n:06}")),
        );
    }
    drop(server);

    // --- 4. Next run: only the transient error is sent again. ---
    siuss(&env);
    let second = metas(&cat);
    let new: Vec<_> = second.iter().filter(|(k, _)| !first.contains_key(*k)).collect();
    assert_eq!(new.len(), 1, "{new:?}");
    let (_, (m, _, _)) = new[0];
    assert_eq!(
        (m.motivo, m.operazione),
        (Motivo::Reinvio, Operazione::Inserimento)
    );
    assert_eq!(m.record_key, key_of(transient));
    assert_eq!(
        second[&id(transient)].2.as_deref(),
        Some(new[0].0.as_str()),
        "replaced"
    );

    // --- 5. The social worker fixes, corrects, withdraws and breaks. ---
    let fix = [ident_of(rejected), ident_of(corrected)];
    let gone = ident_of(withdrawn);
    let (b_row, b_siuss) = (ident_of(broken_row), ident_of(broken_siuss));
    edit_export(&export(&env, WAAS), |h, mut row| {
        let ident = row[col(h, "ID_EROGAZIONE")].clone();
        if ident == gone {
            return None;
        }
        if fix.contains(&ident) {
            let p = col(h, "PROT_DOMANDA");
            row[p] = format!("{}-R", row[p]);
        }
        if ident == b_row {
            // A required field emptied: the sociale pipeline quarantines the row.
            row[col(h, "PROT_DOMANDA")] = String::new();
        }
        if ident == b_siuss {
            // Too short for DenominazionePrestazione (10–200): only SIUSS refuses it.
            row[col(h, "DESCRIZIONE")] = "Altro".into();
        }
        Some(row)
    });
    env.run_ok(&["run", "sociale", "--comuni", &comuni]);
    siuss(&env);
    let third = metas(&cat);
    let new: BTreeMap<String, (Motivo, Operazione)> = third
        .iter()
        .filter(|(k, _)| !second.contains_key(*k))
        .map(|(_, (m, _, _))| {
            (
                format!("{}:{}", m.record_key, m.operazione),
                (m.motivo, m.operazione),
            )
        })
        .collect();
    let expected: BTreeMap<String, (Motivo, Operazione)> = [
        // Rejected by INPS, fixed: a new insertion replacing it (no cancellation).
        (
            format!("{}:I", key_of(rejected)),
            (Motivo::Rettifica, Operazione::Inserimento),
        ),
        // Accepted, then corrected: cancellation + insertion.
        (
            format!("{}:C", key_of(corrected)),
            (Motivo::Rettifica, Operazione::Cancellazione),
        ),
        (
            format!("{}:I", key_of(corrected)),
            (Motivo::Rettifica, Operazione::Inserimento),
        ),
        // Accepted, then withdrawn: cancellation.
        (
            format!("{}:C", key_of(withdrawn)),
            (Motivo::Ritiro, Operazione::Cancellazione),
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        new, expected,
        "the broken records are not cancelled: INPS keeps their last good version"
    );
    let issues = cat.siuss_issues(WAAS_BELFIORE, MESE).unwrap();
    assert!(
        issues
            .iter()
            .any(|i| i.identifier == b_siuss && i.rule == "benefit.name.length"),
        "{issues:?}"
    );
    assert!(
        third[&id(rejected)].2.is_some(),
        "the rejected flow is replaced by the fixed one"
    );
    assert_eq!(validate_catalog_flows(&env, &cat), third.len());
    // The cancellations carry TipoOperazione C and the data INPS has.
    for (fid, (m, _, _)) in third.iter().filter(|(k, _)| !second.contains_key(*k)) {
        let xml = String::from_utf8(cat.siuss_flow(fid).unwrap().unwrap().flusso).unwrap();
        let p = metrodati_siuss::parse_ps(&xml).unwrap();
        let op = p.beneficiari[0].prestazioni[0].tipo_operazione;
        assert_eq!(op.code(), m.operazione.as_str(), "{fid}");
    }

    // --- 6. And again: nothing more. ---
    siuss(&env);
    assert_eq!(metas(&cat).len(), third.len());

    // The report, written again from the catalog, has the esiti.
    env.run_ok(&["siuss", "report", "--mese", MESE, "--comuni", WAAS]);
    let text = std::fs::read_to_string(
        env.data()
            .join("siuss")
            .join(WAAS)
            .join(MESE)
            .join(format!("siuss_{WAAS}_{MESE}.csv")),
    )
    .unwrap();
    assert!(
        text.contains(";accettato;OK;acquisito;SIUSS-"),
        "accepted flows with their receipt"
    );
    assert!(
        text.contains("RICHIESTA_INVALIDA;ProtocolloDomanda non valido"),
        "rejections with reasons"
    );
    assert!(text.contains("sostituito da"), "replaced flows");

    // The daily job writes the same report again.
    let csv_path = env
        .data()
        .join("siuss")
        .join(WAAS)
        .join(MESE)
        .join(format!("siuss_{WAAS}_{MESE}.csv"));
    std::fs::remove_file(&csv_path).unwrap();
    env.run_ok(&["run", "siuss-report", "--mese", MESE, "--comuni", WAAS]);
    assert_eq!(std::fs::read_to_string(&csv_path).unwrap(), text);
}

#[test]
fn a_changed_sinba_secret_is_refused() {
    let env = Env::with_settings("\n[siuss]\ncf_operatore = \"08911820960\"\n");
    let c = "015175";
    env.run_ok(&["sample", "--comuni", c]);
    env.run_ok(&["run", "anagrafe", "--comuni", c]);
    env.run_ok(&["run", "sociale", "--comuni", c]);
    env.run_ok(&["run", "siuss", "--mese", MESE, "--comuni", c]);
    // Another secret: every IDBeneficiario would change.
    let path = env.data().join("secrets/sinba.key");
    std::fs::remove_file(&path).unwrap();
    metrodati_pipelines::siuss::ensure_secret_file(&path).unwrap();
    let out = env.run(&["run", "siuss", "--mese", MESE, "--comuni", c]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SINBA pseudonym secret differs"));
}
