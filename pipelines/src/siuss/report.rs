//! The steward report of a comune and month: what was sent to INPS, what
//! INPS accepted or rejected (with its reasons), what is still pending, and
//! what was not sent because the data must be fixed — as CSV (`;`, UTF-8
//! with BOM, for Excel) and XLSX (a summary sheet and the detail).
//!
//! The report is rebuilt from the catalog, so it can be produced again at
//! any time (`metrodati siuss report`) to see the esiti that arrived after
//! the run. It contains personal data (the beneficiaries' codici fiscali on
//! PS rows) and is written with owner-only permissions. SINBA rows never
//! carry a codice fiscale nor the pseudonym: only the case identifier of the
//! Cartella Sociale.

use super::periodo::Periodo;
use metrodati_catalog::{
    Canale, Catalog, CatalogError, CodiceEsito, FlowStatus, Motivo, Operazione, ReportFlow, SiussIssue,
    TipoFlusso,
};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use std::path::{Path, PathBuf};

/// Column headers of the detail (CSV and the XLSX "Dettaglio" sheet).
pub const COLUMNS: [&str; 18] = [
    "mese",
    "tipo",
    "identificativo",
    "codice_prestazione",
    "codice_fiscale",
    "operazione",
    "motivo",
    "id_flusso",
    "canale",
    "stato",
    "codice_esito",
    "descrizione_esito",
    "id_acquisizione_siuss",
    "data_esito",
    "regola",
    "campo",
    "messaggio",
    "azione",
];

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub cells: [String; 18],
    /// The summary bucket.
    pub bucket: Bucket,
}

/// Summary buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bucket {
    /// Accepted by INPS.
    Accettato,
    /// Rejected by INPS, to fix (or retried automatically).
    Scartato,
    /// Waiting for INPS (not yet taken, or taken and no esito yet).
    InAttesa,
    /// Replaced by a later flow.
    Sostituito,
    /// Not sent: the data must be fixed.
    NonInviato,
}

impl Bucket {
    fn label(self) -> &'static str {
        match self {
            Bucket::Accettato => "accettati dall'INPS",
            Bucket::Scartato => "scartati dall'INPS",
            Bucket::InAttesa => "in attesa dell'INPS",
            Bucket::Sostituito => "sostituiti da un invio successivo",
            Bucket::NonInviato => "non inviati: dati da correggere",
        }
    }
}

fn tipo_label(t: TipoFlusso) -> &'static str {
    match t {
        TipoFlusso::PsPsaSina => "PS",
        TipoFlusso::Sinba => "SINBA",
    }
}

fn operazione_label(o: Operazione) -> &'static str {
    match o {
        Operazione::Inserimento => "inserimento",
        Operazione::Cancellazione => "cancellazione",
        Operazione::Snapshot => "invio caso SINBA",
    }
}

fn motivo_label(m: Motivo) -> &'static str {
    match m {
        Motivo::Nuova => "nuova prestazione",
        Motivo::Rettifica => "rettifica",
        Motivo::Reinvio => "reinvio dopo esito",
        Motivo::Ritiro => "ritirata dalla cartella sociale",
    }
}

/// The codice fiscale of a PS flow (first `Beneficiario@CodiceFiscale`).
fn cf_of(flow: &ReportFlow) -> String {
    if flow.tipo != TipoFlusso::PsPsaSina {
        return String::new();
    }
    let xml = String::from_utf8_lossy(&flow.flusso);
    metrodati_siuss::parse_ps(&xml)
        .ok()
        .and_then(|f| f.beneficiari.into_iter().next())
        .map(|b| b.beneficiario.codice_fiscale)
        .unwrap_or_default()
}

fn flow_row(f: &ReportFlow) -> ReportRow {
    let upload = f.meta.canale == Canale::Upload;
    let (stato, azione, bucket) = match (&f.superseded_by, f.status, f.codice_esito) {
        (Some(by), _, _) => (
            format!("sostituito da {by}"),
            "nessuna".to_string(),
            Bucket::Sostituito,
        ),
        (None, FlowStatus::Pending, _) => (
            "in attesa del prelievo da parte dell'INPS".into(),
            "nessuna".into(),
            Bucket::InAttesa,
        ),
        (None, FlowStatus::Sent, _) if upload => (
            "nel file massivo da caricare sull'applicazione web INPS".into(),
            "caricare il file massivo del mese sull'applicazione INPS e verificarne l'esito".into(),
            Bucket::InAttesa,
        ),
        (None, FlowStatus::Sent, _) => (
            "prelevato dall'INPS, esito non ancora ricevuto".into(),
            "nessuna".into(),
            Bucket::InAttesa,
        ),
        (None, FlowStatus::Accepted, _) => ("accettato".into(), "nessuna".into(), Bucket::Accettato),
        (None, FlowStatus::Rejected, Some(CodiceEsito::ErroreGenerico)) => (
            "scartato per errore generico dell'INPS".into(),
            "nessuna: sarà reinviato automaticamente al prossimo invio".into(),
            Bucket::Scartato,
        ),
        (None, FlowStatus::Rejected, _) if f.meta.operazione == Operazione::Cancellazione => (
            "cancellazione scartata dall'INPS".into(),
            "verificare con l'INPS: la prestazione potrebbe risultare ancora registrata".into(),
            Bucket::Scartato,
        ),
        (None, FlowStatus::Rejected, _) => (
            "scartato dall'INPS".into(),
            "correggere il dato nella cartella sociale: la prestazione corretta sarà inviata al prossimo invio"
                .into(),
            Bucket::Scartato,
        ),
    };
    ReportRow {
        cells: [
            f.meta.periodo.clone(),
            tipo_label(f.tipo).into(),
            f.meta.identifier.clone(),
            f.meta.codice_prestazione.clone(),
            cf_of(f),
            operazione_label(f.meta.operazione).into(),
            motivo_label(f.meta.motivo).into(),
            f.id_flusso.clone(),
            if upload { "caricamento manuale" } else { "WaaS" }.into(),
            stato,
            f.codice_esito.map(|c| c.as_str().to_string()).unwrap_or_default(),
            f.descrizione_esito.clone().unwrap_or_default(),
            f.id_acquisizione_siuss.clone().unwrap_or_default(),
            f.ts_acquisizione.clone().unwrap_or_default(),
            String::new(),
            String::new(),
            String::new(),
            azione,
        ],
        bucket,
    }
}

fn issue_row(periodo: &str, i: &SiussIssue) -> ReportRow {
    let manual = i.rule == super::WITHDRAWN_SINBA || i.rule == super::CANCEL_FAILED;
    ReportRow {
        cells: [
            periodo.to_string(),
            tipo_label(i.tipo).into(),
            i.identifier.clone(),
            i.codice_prestazione.clone().unwrap_or_default(),
            // Never for SINBA (the catalog refuses it), whatever was stored.
            if i.tipo == TipoFlusso::PsPsaSina {
                i.codice_fiscale.clone().unwrap_or_default()
            } else {
                String::new()
            },
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            if manual {
                "da gestire manualmente".into()
            } else {
                "non inviato: dati da correggere".into()
            },
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            i.rule.clone(),
            i.field.clone().unwrap_or_default(),
            i.message.clone(),
            if i.rule == super::WITHDRAWN_SINBA {
                "segnalare all'INPS il ritiro del caso".into()
            } else if manual {
                "verificare con l'INPS".into()
            } else {
                "correggere il dato nella cartella sociale: sarà inviato al prossimo invio".into()
            },
        ],
        bucket: Bucket::NonInviato,
    }
}

/// The rows of the report of `ente` (codice Belfiore) for `periodo`:
/// flows first (by `ts_flusso`), then the records not sent.
pub fn rows(catalog: &Catalog, ente: &str, periodo: Periodo) -> Result<Vec<ReportRow>, CatalogError> {
    let p = periodo.to_string();
    let mut out: Vec<ReportRow> = Vec::new();
    catalog.for_each_siuss_report_flow(ente, &p, |f| out.push(flow_row(&f)))?;
    out.extend(catalog.siuss_issues(ente, &p)?.iter().map(|i| issue_row(&p, i)));
    Ok(out)
}

/// The CSV bytes (UTF-8 with BOM, `;`).
pub fn csv_bytes(rows: &[ReportRow]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(COLUMNS)?;
    for r in rows {
        w.write_record(&r.cells)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Counts per bucket and type, for the summary.
pub fn summary(rows: &[ReportRow]) -> Vec<(Bucket, u64, u64)> {
    let buckets = [
        Bucket::Accettato,
        Bucket::Scartato,
        Bucket::InAttesa,
        Bucket::Sostituito,
        Bucket::NonInviato,
    ];
    buckets
        .iter()
        .map(|b| {
            let of = |t: &str| rows.iter().filter(|r| r.bucket == *b && r.cells[1] == t).count() as u64;
            (*b, of("PS"), of("SINBA"))
        })
        .collect()
}

/// The XLSX bytes: "Riepilogo" and "Dettaglio".
pub fn xlsx_bytes(title: &str, rows: &[ReportRow]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    {
        let ws = wb.add_worksheet().set_name("Riepilogo")?;
        ws.write_string_with_format(0, 0, title, &bold)?;
        ws.write_string_with_format(2, 0, "Stato", &bold)?;
        ws.write_string_with_format(2, 1, "PS/PSA/SINA", &bold)?;
        ws.write_string_with_format(2, 2, "SINBA", &bold)?;
        for (i, (b, ps, sinba)) in summary(rows).iter().enumerate() {
            let r = 3 + i as u32;
            ws.write_string(r, 0, b.label())?;
            ws.write_number(r, 1, *ps as f64)?;
            ws.write_number(r, 2, *sinba as f64)?;
        }
        ws.write_string(
            10,
            0,
            "Il dettaglio è nel foglio \"Dettaglio\". Le righe scartate dall'INPS o non inviate si correggono \
             nella cartella sociale: la correzione è inviata al prossimo invio mensile.",
        )?;
        ws.set_column_width(0, 44.0)?;
        ws.set_column_width(1, 14.0)?;
        ws.set_column_width(2, 10.0)?;
    }
    {
        let ws = wb.add_worksheet().set_name("Dettaglio")?;
        for (c, h) in COLUMNS.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (i, r) in rows.iter().enumerate() {
            for (c, v) in r.cells.iter().enumerate() {
                ws.write_string((i + 1) as u32, c as u16, v)?;
            }
        }
        ws.set_freeze_panes(1, 0)?;
        ws.autofilter(0, 0, rows.len() as u32, (COLUMNS.len() - 1) as u16)?;
        for (c, w) in [
            9.0, 7.0, 16.0, 12.0, 18.0, 14.0, 18.0, 28.0, 12.0, 36.0, 18.0, 30.0, 20.0, 22.0, 30.0, 30.0,
            60.0, 60.0,
        ]
        .iter()
        .enumerate()
        {
            ws.set_column_width(c as u16, *w)?;
        }
    }
    wb.save_to_buffer()
}

/// The report files of a comune and month.
pub fn paths(output_dir: &Path, istat: &str, periodo: Periodo) -> (PathBuf, PathBuf) {
    let dir = output_dir.join(istat).join(periodo.to_string());
    let base = format!("siuss_{istat}_{periodo}");
    (dir.join(format!("{base}.xlsx")), dir.join(format!("{base}.csv")))
}

/// Writes the report of a comune and month (atomically, owner-only) and
/// returns the XLSX and CSV paths.
pub fn write(
    catalog: &Catalog,
    output_dir: &Path,
    istat: &str,
    ente: &str,
    denominazione: &str,
    periodo: Periodo,
) -> Result<(PathBuf, PathBuf), super::SiussError> {
    let rows = rows(catalog, ente, periodo)?;
    let (xlsx, csv) = paths(output_dir, istat, periodo);
    let title = format!("SIUSS — {denominazione} ({istat}, {ente}) — {periodo}");
    let x = xlsx_bytes(&title, &rows).map_err(|e| super::SiussError::Report(e.to_string()))?;
    let c = csv_bytes(&rows).map_err(|e| super::SiussError::Report(e.to_string()))?;
    metrodati_connectors::atomic::write_atomic_bytes(&xlsx, true, &x)?;
    metrodati_connectors::atomic::write_atomic_bytes(&csv, true, &c)?;
    Ok((xlsx, csv))
}
