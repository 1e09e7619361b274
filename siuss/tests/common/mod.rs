//! Shared test helpers: the official specs, xmllint, golden files, fixtures.
#![allow(dead_code)]

use chrono::NaiveDate;
use metrodati_siuss::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The folder with the official INPS artefacts (`inps/*.xsd`, `inps/api-comuni.yaml`):
/// `$METRODATI_SPECS`, else `$METRODATI_SHARED/specs`, else `../../shared/specs`
/// from this crate. Panics (the test fails) when it is missing: these tests
/// never skip.
pub fn specs_dir() -> PathBuf {
    let dir = if let Some(d) = std::env::var_os("METRODATI_SPECS") {
        PathBuf::from(d)
    } else if let Some(d) = std::env::var_os("METRODATI_SHARED") {
        PathBuf::from(d).join("specs")
    } else {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/specs"))
    };
    let xsd = dir.join("inps").join("PS_PSA_SINA201812.xsd");
    assert!(
        xsd.is_file(),
        "official INPS specs not found at {} (expected {}): set METRODATI_SPECS to the shared/specs folder",
        dir.display(),
        xsd.display()
    );
    dir
}

/// Path of an INPS spec file.
pub fn spec(name: &str) -> PathBuf {
    specs_dir().join("inps").join(name)
}

/// The XSD of a flow type.
pub fn xsd_of(tipo: TipoFlusso) -> PathBuf {
    spec(tipo.xsd())
}

/// Runs `xmllint --noout --schema <xsd>` on `xml` (written to a temporary
/// folder): `Err` with xmllint's output when the document is invalid.
/// Panics when xmllint is not installed: the tests never skip.
pub fn xmllint_check(xml: &str, xsd: &Path, label: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(format!("{}.xml", label.replace(['/', ' '], "_")));
    std::fs::write(&file, xml).expect("write xml");
    let out = match Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd)
        .arg(&file)
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!(
            "xmllint is needed to validate the flows against the INPS XSDs and could not be run ({e}): \
             install it with `apt-get install -y libxml2-utils`"
        ),
    };
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Validates `xml` against `xsd` with xmllint; panics with the errors.
pub fn xmllint(xml: &str, xsd: &Path, label: &str) {
    if let Err(e) = xmllint_check(xml, xsd, label) {
        panic!(
            "{label} does not validate against {}:\n{e}\n--- XML ---\n{xml}",
            xsd.display()
        );
    }
}

/// Validates a flow against its XSD.
pub fn assert_valid(flow: &XmlFlow) {
    xmllint(&flow.xml, &xsd_of(flow.tipo), &flow.nome.to_string());
}

/// Compares `actual` with `tests/golden/<name>`; with `UPDATE_GOLDEN=1`
/// rewrites the file instead.
pub fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {} missing ({e}): run with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    if expected != actual {
        let line = expected.lines().zip(actual.lines()).position(|(a, b)| a != b);
        panic!(
            "{} differs from the output (first different line: {:?}); run with UPDATE_GOLDEN=1 to accept\n--- actual ---\n{actual}",
            path.display(),
            line.map(|l| l + 1)
        );
    }
}

pub fn d(y: i32, m: u32, g: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, g).unwrap()
}

pub fn imp(s: &str) -> Importo {
    s.parse().unwrap()
}

/// The sending date of the test flows.
pub fn data_invio() -> NaiveDate {
    d(2026, 3, 5)
}

/// Comune di Milano, operator = the comune's own codice fiscale.
pub fn ente() -> Ente {
    Ente::comune_cm_milano("015146", "01199250158").unwrap()
}

/// A test secret (42 bytes) — never a production one.
pub fn secret() -> SinbaSecret {
    SinbaSecret::from_bytes(b"metrodati-test-secret-not-for-production!!".to_vec()).unwrap()
}

pub fn milano() -> Indirizzo {
    Indirizzo::comune_cm_milano("015146").unwrap()
}

/// Niccolò D'Angelo, 1980 (apostrophe and accent).
pub fn b_dangelo() -> Beneficiario {
    Beneficiario {
        codice_fiscale: "DNGNCL80A01F205D".into(),
        anagrafica: Anagrafica {
            cognome: "D'Angelo".into(),
            nome: "Niccolò".into(),
            anno_nascita: 1980,
            luogo_nascita: "F205".into(),
            genere: Genere::Maschio,
            codice_cittadinanza: "380".into(),
            codice_seconda_cittadinanza: None,
        },
        indirizzi: vec![milano()],
    }
}

/// Giulio Martini, 1940: elderly home care with SINA.
pub fn b_martini() -> Beneficiario {
    Beneficiario {
        codice_fiscale: "MRTGLI40B12F205B".into(),
        anagrafica: Anagrafica {
            cognome: "Martini".into(),
            nome: "Giulio".into(),
            anno_nascita: 1940,
            luogo_nascita: "F205".into(),
            genere: Genere::Maschio,
            codice_cittadinanza: "380".into(),
            codice_seconda_cittadinanza: None,
        },
        indirizzi: vec![milano()],
    }
}

/// Élise Colombo, born in France in 2019, Italian and French citizen.
pub fn b_colombo() -> Beneficiario {
    Beneficiario {
        codice_fiscale: "CLMLSE19H62Z110V".into(),
        anagrafica: Anagrafica {
            cognome: "Colombo".into(),
            nome: "Élise".into(),
            anno_nascita: 2019,
            luogo_nascita: "Z110".into(),
            genere: Genere::Femmina,
            codice_cittadinanza: "380".into(),
            codice_seconda_cittadinanza: Some("250".into()),
        },
        indirizzi: vec![Indirizzo::comune_cm_milano("015002").unwrap()],
    }
}

/// A one-off income support with ISEE, DSU and presa in carico.
pub fn p_contributo(importo: &str, op: TipoOperazione) -> Prestazione {
    Prestazione {
        tipo_operazione: op,
        carattere: Some(CaratterePrestazione::Occasionale),
        numero_protocollo_dsu: Some("INPS-ISEE-2025-01480722D-00".into()),
        anno_protocollo_dsu: Some(2025),
        data_dsu: Some(d(2025, 11, 3)),
        data_evento: Some(d(2026, 1, 8)),
        data_erogazione: Some(d(2026, 1, 15)),
        importo_prestazione: Some(imp(importo)),
        importo_quota_ente: Some(imp(importo)),
        importo_soglia_isee: Some(imp("9360")),
        area_utenza: Some(AreaUtenza::PovertaEsclusioneSociale),
        ..Prestazione::new(
            "A1.04",
            "Contributi economici a integrazione del reddito familiare",
            "2026/00017",
            PresenzaProvaMezzi::SoggettaIsee,
            PresaCarico::Si,
        )
    }
}

/// A2.16 (only with presa in carico), periodic, one quarter.
pub fn p_alloggio() -> Prestazione {
    Prestazione {
        carattere: Some(CaratterePrestazione::Periodico),
        data_inizio: Some(d(2026, 1, 1)),
        data_fine: Some(d(2026, 3, 31)),
        periodo_erogazione: Some(3),
        importo_mensile: Some(imp("300")),
        area_utenza: Some(AreaUtenza::PovertaEsclusioneSociale),
        ..Prestazione::new(
            "A2.16",
            "Interventi di supporto per reperimento alloggi",
            "2026/00018",
            PresenzaProvaMezzi::NonSoggettaProvaMezzi,
            PresaCarico::Si,
        )
    }
}

/// Elderly home care (A2.07) with its SINA assessment.
pub fn p_sad_sina() -> Prestazione {
    Prestazione {
        carattere: Some(CaratterePrestazione::Periodico),
        numero_protocollo_dsu: Some("INPS-ISEE-2026-00597381W-00".into()),
        anno_protocollo_dsu: Some(2026),
        data_dsu: Some(d(2026, 1, 12)),
        data_evento: Some(d(2026, 1, 20)),
        data_inizio: Some(d(2026, 2, 1)),
        data_fine: Some(d(2026, 12, 31)),
        periodo_erogazione: Some(11),
        importo_mensile: Some(imp("420")),
        importo_quota_ente: Some(imp("380")),
        importo_quota_utente: Some(imp("40")),
        importo_quota_richiesta: Some(imp("85.50")),
        ore_servizio_mensile: OreServizio::new(20, 30),
        area_utenza: Some(AreaUtenza::DisabilitaNonAutosufficienza),
        sina: Some(Sina {
            mobilita: Mobilita::SiSpostaAssistito,
            attivita_vita_quotidiana: AttivitaVitaQuotidiana::ParzialmenteDipendente,
            disturbi_area_cognitiva: Some(DisturbiAreaCognitiva::Lievi),
            disturbi_comportamentali: DisturbiComportamentali::Assenti,
            necessita_cure_sanitarie: Some(NecessitaCureSanitarie::Media),
            area_reddituale: AreaReddituale::AiutoDaParenti,
            area_supporto: AreaSupporto::ReteParziale,
            fonte_derivazione_valutazione: FonteDerivazioneValutazione::Uvm,
            strumento_valutazione: StrumentoValutazione::Svama,
            fonte_derivazione_invalidita: Some(FonteDerivazioneInvalidita::CertificazioneVerificata),
            necessita_interventi_sociali: vec!["A2.08".into(), "A2.07".into()],
            invalidita_civile: vec![InvCiv::TotaleConAccompagnamento, InvCiv::L104Art3Comma3],
        }),
        ..Prestazione::new(
            "A2.07",
            "Assistenza domiciliare socio-assistenziale",
            "2026/00031",
            PresenzaProvaMezzi::SoggettaIsee,
            PresaCarico::Si,
        )
    }
}

/// Nursery fee contribution, periodic, no presa in carico.
pub fn p_nido() -> Prestazione {
    Prestazione {
        carattere: Some(CaratterePrestazione::Periodico),
        numero_protocollo_dsu: Some("INPS-ISEE-2025-00123456K-01".into()),
        anno_protocollo_dsu: Some(2025),
        data_dsu: Some(d(2025, 9, 1)),
        data_inizio: Some(d(2026, 1, 7)),
        data_fine: Some(d(2026, 6, 30)),
        periodo_erogazione: Some(6),
        importo_mensile: Some(imp("150")),
        importo_quota_ente: Some(imp("150")),
        importo_quota_utente: Some(imp("0")),
        ..Prestazione::new(
            "A1.07",
            "Contributi e integrazioni a rette per asili nido",
            "AN-2026-044",
            PresenzaProvaMezzi::SoggettaIsee,
            PresaCarico::No,
        )
    }
}

pub fn valid(b: &Beneficiario, p: &Prestazione) -> ValidatedPrestazione {
    validate_prestazione(b, p).unwrap_or_else(|v| panic!("fixture not valid: {v:#?}"))
}

/// The prestazioni of the bulk PS fixture (a correction: C of 400.00 and I
/// of 450.00 of the same prestazione), deliberately not in flow order.
pub fn ps_fixture() -> Vec<ValidatedPrestazione> {
    vec![
        valid(&b_martini(), &p_sad_sina()),
        valid(&b_dangelo(), &p_alloggio()),
        valid(&b_colombo(), &p_nido()),
        valid(&b_dangelo(), &p_contributo("450", TipoOperazione::Inserimento)),
        valid(&b_dangelo(), &p_contributo("400", TipoOperazione::Cancellazione)),
    ]
}

/// A minor followed for family difficulties (pseudonymised CF).
pub fn sinba_famiglia(secret: &SinbaSecret) -> SinbaCase {
    SinbaCase {
        id_beneficiario: secret.id_beneficiario("PLLFNC12A01F205T").unwrap(),
        prestazioni: vec!["A2.02".into(), "A1.04".into(), "A2.02".into()],
        famiglia: vec![ComposizioneFamiglia::FratelliSorelle, ComposizioneFamiglia::Madre],
        minore_straniero_no_acc: MinoreStranieroNoAcc::No,
        condizione_minore: CondizioneMinore::NonOrfano,
        luogo_vita: LuogoVita::PropriaFamiglia,
        scuola_frequentata: ScuolaFrequentata::SecondariaPrimoGrado,
        condizione_lavoro: CondizioneLavoro::Inattivo,
        disabilita: Disabilita::No,
        tipo_disabilita: None,
        inv_civ_certificazioni: None,
        codice_cittadinanza_padre: Some("380".into()),
        codice_cittadinanza_madre: Some("380".into()),
        codice_regione_residenza_padre: Some("03".into()),
        codice_regione_residenza_madre: Some("03".into()),
        titolo_studio_padre: Some(TitoloStudio::LicenzaMedia),
        titolo_studio_madre: Some(TitoloStudio::DiplomaSuperiore),
        occupazione_padre: Some(Occupazione::Disoccupato),
        occupazione_madre: Some(Occupazione::Occupato),
        data_prima_segnalazione: MeseAnno::new(2025, 10).unwrap(),
        fonte_segnalazione: FonteSegnalazione::Scuola,
        valutazione_minore: ValutazioneMinore::ProblemiRelazionali,
        valutazione_famiglia_minore: ValutazioneFamigliaMinore::DifficoltaEconomiche,
        segnalazione_autorita_giudiziaria: SegnalazioneAutoritaGiudiziaria::No,
        data_segnalazione: None,
        provvedimento_giudiziario: ProvvedimentoGiudiziario::No,
        data_provvedimento_giudiziario: None,
        autorita_provvedimento: None,
        potesta_tutela: None,
        tipo_provvedimento_giudiziario: None,
        forma_intervento_affido: None,
        tipo_intervento_affido: None,
        durata_affido: None,
        carattere_affido: None,
        esito_affido: None,
        carattere_inserimento_residenziale: None,
        forma_inserimento_residenziale: None,
        tipo_inserimento_residenziale: None,
        esito_inserimento_struttura: None,
        motivazione_chiusura_carico: None,
        situazione_chiusura_carico: None,
        collaborazioni_interventi: Some(CollaborazioniInterventi::Scuola),
        numero_componenti_isee: Some(3),
        fascia_eta_beneficiario: FasciaEtaBeneficiario::at(d(2012, 1, 1), data_invio()).unwrap(),
        fascia_isee_beneficiario: FasciaIseeBeneficiario::from_isee(imp("8500")),
        anno_nascita: 2012,
        codice_regione_residenza: Some("03".into()),
        codice_nazione_residenza: "380".into(),
    }
}

/// A minor in foster care ordered by the juvenile court.
pub fn sinba_affido(secret: &SinbaSecret) -> SinbaCase {
    SinbaCase {
        id_beneficiario: secret.id_beneficiario("VRDGPP12C15F205Y").unwrap(),
        prestazioni: vec!["A3.02".into()],
        famiglia: vec![ComposizioneFamiglia::AltriConviventi],
        luogo_vita: LuogoVita::FamigliaAffidataria,
        scuola_frequentata: ScuolaFrequentata::SecondariaPrimoGrado,
        disabilita: Disabilita::Si,
        tipo_disabilita: Some(TipoDisabilita::Sensoriale),
        inv_civ_certificazioni: Some(InvCivCertificazioni::L104),
        codice_cittadinanza_padre: None,
        codice_cittadinanza_madre: Some("990".into()),
        codice_regione_residenza_padre: None,
        codice_regione_residenza_madre: None,
        titolo_studio_padre: None,
        titolo_studio_madre: None,
        occupazione_padre: None,
        occupazione_madre: None,
        data_prima_segnalazione: MeseAnno::new(2023, 4).unwrap(),
        fonte_segnalazione: FonteSegnalazione::AutoritaGiudiziarieMinorili,
        valutazione_minore: ValutazioneMinore::PresuntoAbbandono,
        valutazione_famiglia_minore: ValutazioneFamigliaMinore::FragilitaGenitoriale,
        segnalazione_autorita_giudiziaria: SegnalazioneAutoritaGiudiziaria::Si,
        data_segnalazione: MeseAnno::new(2023, 5),
        provvedimento_giudiziario: ProvvedimentoGiudiziario::Si,
        data_provvedimento_giudiziario: MeseAnno::new(2023, 9),
        autorita_provvedimento: Some(AutoritaProvvedimento::TribunaleMinori),
        potesta_tutela: Some(PotestaTutela::Sospensione),
        tipo_provvedimento_giudiziario: Some(TipoProvvedimentoGiudiziario::AffidamentoFamiliare),
        forma_intervento_affido: Some(FormaInterventoAffido::Giudiziario),
        tipo_intervento_affido: Some(TipoInterventoAffido::Eterofamiliare),
        durata_affido: Some(DurataAffido::TempoPieno),
        carattere_affido: Some(CarattereAffido::Residenziale),
        collaborazioni_interventi: Some(CollaborazioniInterventi::Npi),
        numero_componenti_isee: None,
        fascia_isee_beneficiario: None,
        fascia_eta_beneficiario: FasciaEtaBeneficiario::at(d(2012, 3, 15), data_invio()).unwrap(),
        anno_nascita: 2012,
        ..sinba_famiglia(secret)
    }
}

pub fn valid_sinba(c: &SinbaCase) -> ValidatedSinba {
    validate_sinba(c).unwrap_or_else(|v| panic!("fixture not valid: {v:#?}"))
}
