//! The steward report of the SIUSS submissions: golden CSV, and the XLSX
//! read back with calamine says the same.
//!
//! `UPDATE_GOLDEN=1 cargo test -p metrodati-pipelines --test siuss_report`
//! rewrites the golden file.

use calamine::{Reader, Xlsx};
use chrono::{NaiveDate, TimeZone, Utc};
use metrodati_catalog::{
    Canale, Catalog, CodiceEsito, FlowMeta, Motivo, NewEsito, NewSiussFlow, Operazione, SiussIssue,
    TipoFlusso,
};
use metrodati_pipelines::siuss::{report, Periodo};
use metrodati_siuss::*;
use std::path::PathBuf;

const ENTE: &str = "G686";
const ISTAT: &str = "015175";

fn d(y: i32, m: u32, g: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, g).unwrap()
}

fn ente() -> Ente {
    Ente::comune_cm_milano(ISTAT, "08911820960").unwrap()
}

fn ps_xml(progressivo: u32, protocollo: &str, op: TipoOperazione) -> String {
    let b = Beneficiario {
        codice_fiscale: "RSSMRA80A01F205X".into(),
        anagrafica: Anagrafica {
            cognome: "ROSSI".into(),
            nome: "MARIO".into(),
            anno_nascita: 1980,
            luogo_nascita: "F205".into(),
            genere: Genere::Maschio,
            codice_cittadinanza: "380".into(),
            codice_seconda_cittadinanza: None,
        },
        indirizzi: vec![Indirizzo::comune_cm_milano(ISTAT).unwrap()],
    };
    let p = Prestazione {
        tipo_operazione: op,
        carattere: Some(CaratterePrestazione::Occasionale),
        data_erogazione: Some(d(2025, 11, 10)),
        importo_prestazione: Some("250.00".parse().unwrap()),
        ..Prestazione::new(
            "A1.04",
            "Contributi economici a integrazione del reddito familiare",
            protocollo,
            PresenzaProvaMezzi::NonSoggettaProvaMezzi,
            PresaCarico::No,
        )
    };
    let v = validate_prestazione(&b, &p).unwrap();
    let nome = NomeFlusso::new(ENTE, TipoNome::Ps, d(2025, 12, 31), progressivo).unwrap();
    ps_message(&ente(), &nome, &v).unwrap().xml
}

#[allow(clippy::too_many_arguments)]
fn store(
    cat: &Catalog,
    id: &str,
    tipo: TipoFlusso,
    xml: String,
    periodo: &str,
    key: &str,
    op: Operazione,
    motivo: Motivo,
    canale: Canale,
    replaces: Option<&str>,
) {
    cat.insert_siuss_flow(&NewSiussFlow {
        codice_ente: ENTE.into(),
        denominazione_ente: "Comune di Pioltello".into(),
        id_flusso: id.into(),
        tipo,
        ts_flusso: 1_767_000_000_000,
        flusso: xml.into_bytes(),
        replaces: replaces.map(str::to_string),
    })
    .unwrap();
    cat.insert_siuss_flow_meta(&FlowMeta {
        id_flusso: id.into(),
        run: None,
        canale,
        periodo: periodo.into(),
        record_key: key.into(),
        identifier: key.split(['@', '/']).next().unwrap().into(),
        codice_prestazione: "A1.04".into(),
        operazione: op,
        motivo,
    })
    .unwrap();
}

fn esito(cat: &Catalog, id: &str, codice: CodiceEsito, descr: &str, acq: Option<&str>) {
    cat.record_siuss_esito(
        ENTE,
        &NewEsito {
            id_flusso: id.into(),
            tipo: "PS_PSA_SINA".into(),
            ts_flusso: "2025-12-31T10:00:00.000Z".into(),
            ts_acquisizione: Utc.with_ymd_and_hms(2026, 1, 2, 9, 30, 0).unwrap(),
            codice,
            descrizione: Some(descr.into()),
            id_acquisizione_siuss: acq.map(str::to_string),
        },
        Utc.with_ymd_and_hms(2026, 1, 2, 9, 31, 0).unwrap(),
    )
    .unwrap();
}

fn catalog() -> Catalog {
    let cat = Catalog::open_in_memory().unwrap();
    use Operazione::*;
    // November: one accepted (closed: not in December's report), one still pending.
    store(
        &cat,
        "G686.PS.20251130.0000001",
        TipoFlusso::PsPsaSina,
        ps_xml(1, "N-1", TipoOperazione::Inserimento),
        "2025-11",
        "N-1@2025",
        Inserimento,
        Motivo::Nuova,
        Canale::Waas,
        None,
    );
    esito(
        &cat,
        "G686.PS.20251130.0000001",
        CodiceEsito::Ok,
        "acquisito",
        Some("SIUSS-000001"),
    );
    store(
        &cat,
        "G686.PS.20251130.0000002",
        TipoFlusso::PsPsaSina,
        ps_xml(2, "N-2", TipoOperazione::Inserimento),
        "2025-11",
        "N-2@2025",
        Inserimento,
        Motivo::Nuova,
        Canale::Waas,
        None,
    );
    // December.
    store(
        &cat,
        "G686.PS.20251231.0000001",
        TipoFlusso::PsPsaSina,
        ps_xml(1, "D-1", TipoOperazione::Inserimento),
        "2025-12",
        "D-1@2025",
        Inserimento,
        Motivo::Nuova,
        Canale::Waas,
        None,
    );
    esito(
        &cat,
        "G686.PS.20251231.0000001",
        CodiceEsito::Ok,
        "acquisito",
        Some("SIUSS-000002"),
    );
    store(
        &cat,
        "G686.PS.20251231.0000002",
        TipoFlusso::PsPsaSina,
        ps_xml(2, "D-2", TipoOperazione::Inserimento),
        "2025-12",
        "D-2@2025",
        Inserimento,
        Motivo::Nuova,
        Canale::Waas,
        None,
    );
    esito(
        &cat,
        "G686.PS.20251231.0000002",
        CodiceEsito::RichiestaInvalida,
        "ProtocolloDomanda non valido",
        None,
    );
    store(
        &cat,
        "G686.PS.20251231.0000003",
        TipoFlusso::PsPsaSina,
        ps_xml(3, "D-3", TipoOperazione::Inserimento),
        "2025-12",
        "D-3@2025",
        Inserimento,
        Motivo::Nuova,
        Canale::Waas,
        None,
    );
    esito(
        &cat,
        "G686.PS.20251231.0000003",
        CodiceEsito::ErroreGenerico,
        "servizio non disponibile",
        None,
    );
    store(
        &cat,
        "G686.PS.20251231.0000004",
        TipoFlusso::PsPsaSina,
        ps_xml(4, "D-3", TipoOperazione::Inserimento),
        "2025-12",
        "D-3@2025",
        Inserimento,
        Motivo::Reinvio,
        Canale::Waas,
        Some("G686.PS.20251231.0000003"),
    );
    store(
        &cat,
        "G686.PS.20251231.0000005",
        TipoFlusso::PsPsaSina,
        ps_xml(5, "N-1", TipoOperazione::Cancellazione),
        "2025-12",
        "N-1@2025",
        Cancellazione,
        Motivo::Ritiro,
        Canale::Waas,
        None,
    );
    cat.mark_siuss_flows_sent(
        ENTE,
        &["G686.PS.20251231.0000005"],
        Utc.with_ymd_and_hms(2026, 1, 2, 9, 0, 0).unwrap(),
    )
    .unwrap();
    cat.replace_siuss_issues(
        ENTE,
        "2025-12",
        None,
        &[
            SiussIssue {
                tipo: TipoFlusso::PsPsaSina,
                record_key: "D-9@2025".into(),
                identifier: "D-9".into(),
                codice_prestazione: Some("A1.04".into()),
                codice_fiscale: Some("VRDGPP70A41F205K".into()),
                field: Some("PrestazioniSociali@ImportoPrestazione".into()),
                rule: "benefit.one_off.amount.missing".into(),
                message: "Prestazione occasionale senza ImportoPrestazione.".into(),
            },
            SiussIssue {
                tipo: TipoFlusso::Sinba,
                record_key: "S-1".into(),
                identifier: "S-1".into(),
                codice_prestazione: None,
                codice_fiscale: None,
                field: Some("Prestazioni/CodicePrestazione".into()),
                rule: "siuss.sinba.services.missing".into(),
                message: "il caso non indica alcuna prestazione erogata".into(),
            },
        ],
        &[],
    )
    .unwrap();
    cat
}

fn golden() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/siuss_report_015175_2025-12.csv")
}

#[test]
fn report_csv_matches_the_golden_file() {
    let cat = catalog();
    let periodo: Periodo = "2025-12".parse().unwrap();
    let rows = report::rows(&cat, ENTE, periodo).unwrap();
    let csv = report::csv_bytes(&rows).unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "BOM for Excel");
    let path = golden();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &csv).unwrap();
    }
    let expected = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1 to create it", path.display()));
    assert_eq!(
        String::from_utf8_lossy(&csv),
        String::from_utf8_lossy(&expected),
        "run with UPDATE_GOLDEN=1 after checking the difference"
    );
    // The accepted November flow is closed; the pending one is carried over.
    let ids: Vec<&str> = rows.iter().map(|r| r.cells[7].as_str()).collect();
    assert!(!ids.contains(&"G686.PS.20251130.0000001"));
    assert!(ids.contains(&"G686.PS.20251130.0000002"));
    // A SINBA row never shows a codice fiscale.
    assert!(rows
        .iter()
        .filter(|r| r.cells[1] == "SINBA")
        .all(|r| r.cells[4].is_empty()));
}

#[test]
fn xlsx_says_what_the_csv_says() {
    let cat = catalog();
    let periodo: Periodo = "2025-12".parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (xlsx, csv) = report::write(&cat, dir.path(), ISTAT, ENTE, "Pioltello", periodo).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [&xlsx, &csv] {
            assert_eq!(
                std::fs::metadata(p).unwrap().permissions().mode() & 0o777,
                0o600,
                "{}",
                p.display()
            );
        }
    }
    let rows = report::rows(&cat, ENTE, periodo).unwrap();
    let mut wb: Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    let detail = wb.worksheet_range("Dettaglio").unwrap();
    let cells: Vec<Vec<String>> = detail
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(cells[0], report::COLUMNS);
    assert_eq!(cells.len(), rows.len() + 1);
    for (got, want) in cells[1..].iter().zip(&rows) {
        assert_eq!(got, &want.cells.to_vec());
    }
    let summary = wb.worksheet_range("Riepilogo").unwrap();
    let lines: Vec<Vec<String>> = summary
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let count = |label: &str| -> (String, String) {
        let l = lines
            .iter()
            .find(|l| l.first().map(String::as_str) == Some(label))
            .unwrap();
        (l[1].clone(), l[2].clone())
    };
    assert_eq!(count("accettati dall'INPS"), ("1".into(), "0".into()));
    assert_eq!(count("scartati dall'INPS"), ("1".into(), "0".into()));
    assert_eq!(count("in attesa dell'INPS"), ("3".into(), "0".into()));
    assert_eq!(
        count("sostituiti da un invio successivo"),
        ("1".into(), "0".into())
    );
    assert_eq!(count("non inviati: dati da correggere"), ("1".into(), "1".into()));
}
