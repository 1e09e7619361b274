//! The SINBA pseudonym: stable, keyed, secret, and the codice fiscale never
//! appears in SINBA output.

mod common;

use common::*;
use metrodati_siuss::*;

const CF: &str = "PLLFNC12A01F205T";

#[test]
fn stable_across_submissions_and_runs() {
    // Same secret (re-read from configuration), same pseudonym.
    let a = secret().id_beneficiario(CF).unwrap();
    let b = SinbaSecret::from_base64(
        "bWV0cm9kYXRpLXRlc3Qtc2VjcmV0LW5vdC1mb3ItcHJvZHVjdGlvbiEh", // the same 42 bytes
    )
    .unwrap()
    .id_beneficiario(CF)
    .unwrap();
    assert_eq!(a, b);
    // Pinned value (golden file): a change of algorithm would silently split
    // INPS's history of every case.
    golden("pseudonym.txt", &format!("{a}\n"));
    // Two flows on different days carry the same IDBeneficiario.
    let case = valid_sinba(&sinba_famiglia(&secret()));
    let f1 = sinba_bulk(
        &ente(),
        &NomeFlusso::new("F205", TipoNome::Sinba, d(2026, 3, 5), 1).unwrap(),
        std::slice::from_ref(&case),
    )
    .unwrap();
    let f2 = sinba_bulk(
        &ente(),
        &NomeFlusso::new("F205", TipoNome::Sinba, d(2026, 4, 5), 1).unwrap(),
        &[case],
    )
    .unwrap();
    let id = |xml: &str| parse_sinba(xml).unwrap().casi[0].id_beneficiario.clone();
    assert_eq!(id(&f1.xml), id(&f2.xml));
    assert_eq!(id(&f1.xml), a);
}

#[test]
fn fits_the_xsd() {
    let s = secret();
    for cf in [
        "PLLFNC12A01F205T",
        "VRDGPP12C15F205Y",
        "SLVNNA90T70A794O",
        "01199250158",
    ] {
        let id = s.id_beneficiario(cf).unwrap();
        assert_eq!(id.as_str().chars().count(), 20);
        assert!(id
            .as_str()
            .bytes()
            .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c)));
        assert!(IdBeneficiario::from_existing(id.as_str()).is_ok());
    }
}

#[test]
fn keyed_and_distinct() {
    let s = secret();
    let other = SinbaSecret::from_bytes(vec![42; 32]).unwrap();
    assert_ne!(s.id_beneficiario(CF).unwrap(), other.id_beneficiario(CF).unwrap());
    assert_ne!(
        s.id_beneficiario(CF).unwrap(),
        s.id_beneficiario("VRDGPP12C15F205Y").unwrap()
    );
    // Normalisation: spaces and lower case do not change it.
    assert_eq!(
        s.id_beneficiario(CF).unwrap(),
        s.id_beneficiario(" pllfnc12a01f205t\n").unwrap()
    );
    // A wrong CF is refused (a typo must not create a second identity).
    assert!(s.id_beneficiario("PLLFNC12A01F205X").is_err());
}

#[test]
fn codice_fiscale_never_in_sinba_output() {
    let s = secret();
    let cases = [sinba_famiglia(&s), sinba_affido(&s)];
    let validated: Vec<ValidatedSinba> = cases.iter().map(valid_sinba).collect();
    let mut outputs = vec![sinba_bulk(
        &ente(),
        &NomeFlusso::new("F205", TipoNome::Sinba, data_invio(), 1).unwrap(),
        &validated,
    )
    .unwrap()];
    outputs.extend(sinba_messages(&ente(), data_invio(), 1, &validated).unwrap());
    for cf in ["PLLFNC12A01F205T", "VRDGPP12C15F205Y"] {
        for f in &outputs {
            assert_valid(f);
            for text in [
                f.xml.clone(),
                f.base64(),
                serde_json::to_string(&f.waas_entry(chrono::Utc::now())).unwrap(),
            ] {
                assert!(!text.to_uppercase().contains(cf), "CF in {}", f.nome);
                // Not even the name/surname part or birth data of the CF.
                assert!(!text.contains(&cf[..11]));
            }
        }
        for c in &cases {
            let json = serde_json::to_string(c).unwrap();
            assert!(!json.contains(cf));
            assert!(!format!("{c:?}").contains(cf));
        }
    }
    // The SINBA model has no field for a codice fiscale, and an identifier
    // shaped like one is refused.
    assert!(IdBeneficiario::from_existing("PLLFNC12A01F205T").is_err());
}

#[test]
fn secret_is_never_shown() {
    let s = secret();
    let shown = format!("{s:?}");
    assert!(!shown.contains("metrodati-test-secret"));
    assert_eq!(shown, "SinbaSecret(<redacted>)");
    // Errors do not show it either.
    let e = SinbaSecret::from_bytes(b"short secret".to_vec()).unwrap_err();
    assert!(!e.to_string().contains("short secret"));
    assert!(!format!("{e:?}").contains("short secret"));
}
