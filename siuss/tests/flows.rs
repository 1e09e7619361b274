//! XML flows: golden files, xmllint against the official XSDs, round trips,
//! determinism, escaping, single-message constraints, WaaS entries.

mod common;

use common::*;
use metrodati_siuss::*;

fn nome(tipo: TipoNome, progressivo: u32) -> NomeFlusso {
    NomeFlusso::new("F205", tipo, data_invio(), progressivo).unwrap()
}

#[test]
fn bulk_ps_flow_golden_and_valid() {
    let flow = ps_bulk(&ente(), &nome(TipoNome::Ps, 1), &ps_fixture()).unwrap();
    assert_valid(&flow);
    golden("ps_bulk.xml", &flow.xml);
    assert_eq!((flow.beneficiari, flow.prestazioni), (3, 5));
    assert!(!flow.is_single());
    // Cancellation before the insertion of the corrected prestazione.
    let c = flow.xml.find("TipoOperazione=\"C\"").unwrap();
    let i = flow
        .xml
        .find("TipoOperazione=\"I\" PresenzaProvaMezzi=\"1\" CaratterePrestazione=\"2\"")
        .unwrap();
    assert!(c < i);
}

#[test]
fn single_ps_message_with_sina_golden_and_valid() {
    let p = valid(&b_martini(), &p_sad_sina());
    let flow = ps_message(&ente(), &nome(TipoNome::Ps, 7), &p).unwrap();
    assert_valid(&flow);
    golden("ps_message_sina.xml", &flow.xml);
    assert!(flow.is_single());
    assert_eq!(flow.id_flusso(), "F205.PS.20260305.0000007");
    assert!(flow
        .xml
        .contains("<IdentificazioneFlusso Nome=\"F205.PS.20260305.0000007\">"));
    // SINA codes written sorted.
    let a207 = flow
        .xml
        .find("<CodicePrestazione>A2.07</CodicePrestazione>")
        .unwrap();
    let a208 = flow
        .xml
        .find("<CodicePrestazione>A2.08</CodicePrestazione>")
        .unwrap();
    assert!(a207 < a208);
}

#[test]
fn bulk_sinba_golden_and_valid() {
    let s = secret();
    let cases = vec![valid_sinba(&sinba_affido(&s)), valid_sinba(&sinba_famiglia(&s))];
    let flow = sinba_bulk(&ente(), &nome(TipoNome::Sinba, 1), &cases).unwrap();
    assert_valid(&flow);
    golden("sinba_bulk.xml", &flow.xml);
    assert_eq!(flow.tipo, TipoFlusso::Sinba);
    // Duplicate code A2.02 written once: 1 + 2 codes.
    assert_eq!((flow.beneficiari, flow.prestazioni), (2, 3));
}

#[test]
fn single_sinba_message_golden_and_valid() {
    let case = valid_sinba(&sinba_affido(&secret()));
    let flow = sinba_message(&ente(), &nome(TipoNome::Sinba, 3), &case).unwrap();
    assert_valid(&flow);
    golden("sinba_message.xml", &flow.xml);
    assert_eq!(flow.id_flusso(), "F205.SINBA.20260305.0000003");
    assert!(flow.is_single());
}

#[test]
fn ps_messages_one_per_prestazione_all_valid() {
    let msgs = ps_messages(&ente(), data_invio(), 10, &ps_fixture()).unwrap();
    assert_eq!(msgs.len(), 5);
    let names: Vec<String> = msgs.iter().map(|m| m.nome.to_string()).collect();
    assert_eq!(names[0], "F205.PS.20260305.0000010");
    assert_eq!(names[4], "F205.PS.20260305.0000014");
    for m in &msgs {
        assert!(m.is_single());
        assert_eq!(m.xml.matches("<Beneficiario ").count(), 1);
        assert_eq!(m.xml.matches("<PrestazioniSociali ").count(), 1);
        assert_valid(m);
        let back = parse_ps(&m.xml).unwrap();
        assert_eq!(back.nome, m.id_flusso());
    }
    // Flow order: codice fiscale (CLM… < DNG… < MRT…), then C before I.
    assert!(msgs[0].xml.contains("CLMLSE19H62Z110V"));
    assert!(msgs[1].xml.contains("TipoOperazione=\"C\""));
    assert!(msgs[4].xml.contains("MRTGLI40B12F205B"));
}

#[test]
fn sinba_messages_split_a_case_by_code_all_valid() {
    let s = secret();
    let cases = vec![valid_sinba(&sinba_famiglia(&s)), valid_sinba(&sinba_affido(&s))];
    let msgs = sinba_messages(&ente(), data_invio(), 1, &cases).unwrap();
    // sinba_famiglia has A1.04 and A2.02 (twice), sinba_affido A3.02.
    assert_eq!(msgs.len(), 3);
    for m in &msgs {
        assert!(m.is_single());
        assert_eq!(m.xml.matches("<CodicePrestazione>").count(), 1);
        assert_valid(m);
    }
    // A case with two codes cannot be a single message.
    let err = sinba_message(&ente(), &nome(TipoNome::Sinba, 1), &cases[0]).unwrap_err();
    assert_eq!(err, FlowError::NotSingle(2));
}

#[test]
fn output_does_not_depend_on_input_order() {
    let mut ps = ps_fixture();
    let a = ps_bulk(&ente(), &nome(TipoNome::Psa, 2), &ps).unwrap();
    ps.reverse();
    let b = ps_bulk(&ente(), &nome(TipoNome::Psa, 2), &ps).unwrap();
    ps.rotate_left(2);
    let c = ps_bulk(&ente(), &nome(TipoNome::Psa, 2), &ps).unwrap();
    assert_eq!(a.xml, b.xml);
    assert_eq!(a.xml, c.xml);
    assert!(a.xml.contains("Nome=\"F205.PSA.20260305.0000002\""));
    assert_valid(&a);

    let s = secret();
    let x = sinba_bulk(
        &ente(),
        &nome(TipoNome::Sinba, 1),
        &[valid_sinba(&sinba_famiglia(&s)), valid_sinba(&sinba_affido(&s))],
    )
    .unwrap();
    let y = sinba_bulk(
        &ente(),
        &nome(TipoNome::Sinba, 1),
        &[valid_sinba(&sinba_affido(&s)), valid_sinba(&sinba_famiglia(&s))],
    )
    .unwrap();
    assert_eq!(x.xml, y.xml);
}

#[test]
fn round_trip_through_the_parser() {
    let fixture = ps_fixture();
    let flow = ps_bulk(&ente(), &nome(TipoNome::Ps, 1), &fixture).unwrap();
    let back = parse_ps(&flow.xml).unwrap();
    assert_eq!(back.nome, "F205.PS.20260305.0000001");
    let mut e = ente();
    e.codice_istat = None;
    assert_eq!(back.ente, e);
    let mut got: Vec<(Beneficiario, Prestazione)> = back
        .beneficiari
        .into_iter()
        .flat_map(|bp| {
            bp.prestazioni
                .into_iter()
                .map(move |p| (bp.beneficiario.clone(), p))
        })
        .collect();
    let mut want: Vec<(Beneficiario, Prestazione)> = fixture
        .into_iter()
        .map(|v| {
            let (b, mut p) = v.into_parts();
            // Written sorted without duplicates.
            if let Some(s) = &mut p.sina {
                s.necessita_interventi_sociali.sort();
                s.invalidita_civile.sort();
            }
            (b, p)
        })
        .collect();
    let key = |x: &(Beneficiario, Prestazione)| format!("{:?}", x);
    got.sort_by_key(key);
    want.sort_by_key(key);
    assert_eq!(got, want);

    let s = secret();
    let cases = [sinba_famiglia(&s), sinba_affido(&s)];
    let flow = sinba_bulk(
        &ente(),
        &nome(TipoNome::Sinba, 1),
        &cases.iter().map(valid_sinba).collect::<Vec<_>>(),
    )
    .unwrap();
    let back = parse_sinba(&flow.xml).unwrap();
    let norm = |c: &SinbaCase| {
        let mut c = c.clone();
        c.prestazioni.sort();
        c.prestazioni.dedup();
        c.famiglia.sort();
        c
    };
    let mut want: Vec<SinbaCase> = cases.iter().map(norm).collect();
    want.sort_by(|a, b| a.id_beneficiario.cmp(&b.id_beneficiario));
    assert_eq!(back.casi, want);
}

#[test]
fn names_are_escaped() {
    let mut b = b_dangelo();
    b.anagrafica.cognome = "Dell'Acqua & <Rossi> \"Jr\"".into();
    b.anagrafica.nome = "José Müller\tÅsa".into();
    let mut p = p_nido();
    p.denominazione_prestazione = "Rette nido \"Il Girasole\" & <centro> l'Aquilone".into();
    p.protocollo_domanda = "N°1/2026 & <a>".into();
    let ok = valid(&b, &p);
    let flow = ps_message(&ente(), &nome(TipoNome::Ps, 1), &ok).unwrap();
    assert!(flow
        .xml
        .contains("Cognome=\"Dell&apos;Acqua &amp; &lt;Rossi&gt; &quot;Jr&quot;\""));
    assert!(flow.xml.contains("Nome=\"José Müller&#9;Åsa\""));
    assert!(!flow.xml.contains("<Rossi>"));
    assert_valid(&flow);
    let back = parse_ps(&flow.xml).unwrap();
    assert_eq!(back.beneficiari[0].beneficiario.anagrafica, b.anagrafica);
    assert_eq!(
        back.beneficiari[0].prestazioni[0].denominazione_prestazione,
        p.denominazione_prestazione
    );
    assert_eq!(
        back.beneficiari[0].prestazioni[0].protocollo_domanda,
        p.protocollo_domanda
    );
}

#[test]
fn flow_header_errors() {
    let ok = ps_fixture();
    // Name of another ente.
    let other = NomeFlusso::new("A010", TipoNome::Ps, data_invio(), 1).unwrap();
    assert!(matches!(
        ps_bulk(&ente(), &other, &ok),
        Err(FlowError::EnteMismatch { .. })
    ));
    // SINBA name on a PS flow and vice versa.
    assert!(matches!(
        ps_message(&ente(), &nome(TipoNome::Sinba, 1), &ok[0]),
        Err(FlowError::TipoMismatch { .. })
    ));
    let case = valid_sinba(&sinba_affido(&secret()));
    assert!(matches!(
        sinba_message(&ente(), &nome(TipoNome::Sina, 1), &case),
        Err(FlowError::TipoMismatch { .. })
    ));
    // Invalid ente.
    let mut e = ente();
    e.cf_operatore = "RSSMRA80A01F205A".into();
    match ps_bulk(&e, &nome(TipoNome::Ps, 1), &ok) {
        Err(FlowError::InvalidEnte(v)) => assert_eq!(v[0].rule, Rule::EnteOperatorCfInvalid),
        other => panic!("{other:?}"),
    }
    // Empty flows.
    assert_eq!(
        ps_bulk(&ente(), &nome(TipoNome::Ps, 1), &[]).unwrap_err(),
        FlowError::Empty
    );
    assert_eq!(
        sinba_bulk(&ente(), &nome(TipoNome::Sinba, 1), &[]).unwrap_err(),
        FlowError::Empty
    );
    // Progressives beyond 7 digits.
    assert!(matches!(
        ps_messages(&ente(), data_invio(), 9_999_999, &ok),
        Err(FlowError::Progressivo(_))
    ));
    assert!(ps_messages(&ente(), data_invio(), 9_999_995, &ok).is_ok());
    assert!(matches!(
        ps_messages(&ente(), data_invio(), 0, &ok),
        Err(FlowError::Progressivo(_))
    ));
}

#[test]
fn conflicting_beneficiary_data_in_one_bulk_file() {
    let mut b2 = b_dangelo();
    b2.anagrafica.nome = "Nicolò".into();
    let ps = vec![
        valid(&b_dangelo(), &p_alloggio()),
        valid(&b2, &p_contributo("450", TipoOperazione::Inserimento)),
    ];
    let e = ps_bulk(&ente(), &nome(TipoNome::Ps, 1), &ps).unwrap_err();
    assert_eq!(e, FlowError::ConflictingBeneficiario { first: 0, second: 1 });
    assert!(!e.to_string().contains("DNGNCL"));
}

#[test]
fn several_residences_and_foreign_residence() {
    let mut b = b_colombo();
    b.indirizzi.push(Indirizzo {
        codice_regione: None,
        codice_comune: None,
        codice_nazione: "250".into(),
    });
    let flow = ps_message(&ente(), &nome(TipoNome::Ps, 1), &valid(&b, &p_nido())).unwrap();
    assert_eq!(flow.xml.matches("<Indirizzo ").count(), 2);
    assert_valid(&flow);
}

#[test]
fn waas_entry_matches_the_openapi_shape() {
    use base64::Engine as _;
    let flow = ps_message(&ente(), &nome(TipoNome::Ps, 2), &ps_fixture()[0]).unwrap();
    let ts = chrono::DateTime::parse_from_rfc3339("2026-03-05T10:15:30.123Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let entry = flow.waas_entry(ts);
    let json = serde_json::to_value(&entry).unwrap();
    assert_eq!(json["codice_ente"], "F205");
    assert_eq!(json["denominazione_ente"], "Comune di Milano");
    assert_eq!(json["id_flusso"], "F205.PS.20260305.0000002");
    assert_eq!(json["tipo"], "PS_PSA_SINA");
    assert_eq!(json["ts_flusso"], "2026-03-05T10:15:30.123Z");
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 6);
    let xml = base64::engine::general_purpose::STANDARD
        .decode(json["flusso"].as_str().unwrap())
        .unwrap();
    assert_eq!(String::from_utf8(xml).unwrap(), flow.xml);
    assert!(entry.id_flusso.len() <= 64);
    // The WaaS codice_ente pattern ^[A-Z][0-9]{3}$.
    let c = entry.codice_ente.as_bytes();
    assert!(c.len() == 4 && c[0].is_ascii_uppercase() && c[1..].iter().all(u8::is_ascii_digit));
}

#[test]
fn every_comune_of_the_cm_can_send_a_flow() {
    // All 133 comuni: Belfiore code, name within 100 characters, flow name within 50.
    for c in metrodati_interop::refdata::comuni_cm() {
        let e = Ente::comune_cm_milano(&c.codice_istat, "01199250158").unwrap();
        assert!(
            check_ente(&e).is_empty(),
            "{}: {:?}",
            c.denominazione,
            check_ente(&e)
        );
        let n = NomeFlusso::new(&e.codice, TipoNome::Sinba, data_invio(), 9_999_999).unwrap();
        assert!(n.to_string().len() <= 50);
    }
    assert_eq!(metrodati_interop::refdata::comuni_cm().len(), 133);
}

#[test]
fn the_same_record_twice_is_refused() {
    let mut ps = ps_fixture();
    ps.push(ps[2].clone());
    let e = ps_bulk(&ente(), &nome(TipoNome::Ps, 1), &ps).unwrap_err();
    assert_eq!(e, FlowError::Duplicate { first: 2, second: 5 });
    assert!(matches!(
        ps_messages(&ente(), data_invio(), 1, &ps),
        Err(FlowError::Duplicate { .. })
    ));
    let case = valid_sinba(&sinba_affido(&secret()));
    let twice = [case.clone(), case];
    assert!(matches!(
        sinba_bulk(&ente(), &nome(TipoNome::Sinba, 1), &twice),
        Err(FlowError::Duplicate { .. })
    ));
    assert!(matches!(
        sinba_messages(&ente(), data_invio(), 1, &twice),
        Err(FlowError::Duplicate { .. })
    ));
}
