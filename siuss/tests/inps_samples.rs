//! INPS's own sample flows, embedded in base64 in api-comuni.yaml: they
//! validate with xmllint against the same XSDs (proving the harness), parse
//! into the model, show which of the specification's rules they break, and,
//! once repaired, come out of our serialiser with the same structure.

mod common;

use common::*;
use metrodati_siuss::*;
use std::collections::BTreeMap;

/// The base64 flows of api-comuni.yaml (every run of base64 characters
/// starting with the encoding of `<Fluss`), decoded.
fn samples() -> Vec<String> {
    use base64::Engine as _;
    let yaml = std::fs::read_to_string(spec("api-comuni.yaml")).unwrap();
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    let mut out = Vec::new();
    let mut rest = yaml.as_str();
    while let Some(i) = rest.find("PEZsdXNz") {
        let run: String = rest[i..].chars().take_while(|&c| is_b64(c)).collect();
        rest = &rest[i + run.len()..];
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&run)
            .expect("valid base64");
        out.push(String::from_utf8(bytes).expect("UTF-8"));
    }
    out
}

fn sample_containing(needle: &str) -> String {
    samples()
        .into_iter()
        .find(|s| s.contains(needle))
        .unwrap_or_else(|| panic!("no sample with {needle}"))
}

fn ps_sample_waas() -> String {
    sample_containing("Nome=\"H501.PS.20210520.0000002\"")
}

fn ps_sample_schema() -> String {
    sample_containing("Nome=\"H501.PS.INPS.20160423.115235\"")
}

fn sinba_sample() -> String {
    sample_containing("<SINBA ")
}

/// Every element's attributes in document order, values normalised so that
/// `17000.0` and `17000.00` compare equal; namespace attributes left out.
fn attr_maps(xml: &str) -> Vec<(String, BTreeMap<String, String>, String)> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(xml);
    r.config_mut().trim_text(true);
    let mut out = Vec::new();
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => {
                let mut m = BTreeMap::new();
                for a in e.attributes().flatten() {
                    let k = a.key.as_ref().to_string();
                    if k.starts_with("xmlns") || k.starts_with("xsi:") {
                        continue;
                    }
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap()
                        .into_owned();
                    let v = v.parse::<Importo>().map(|i| i.to_string()).unwrap_or(v);
                    m.insert(k, v);
                }
                out.push((e.local_name().as_ref().to_string(), m, String::new()));
            }
            Event::Text(t) => {
                if let Some(last) = out.last_mut() {
                    last.2.push_str(t.xml10_content().trim());
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

#[test]
fn the_three_samples_are_there_and_validate_with_xmllint() {
    let all = samples();
    assert_eq!(all.len(), 3, "api-comuni.yaml embeds three sample flows");
    for (i, xml) in all.iter().enumerate() {
        let xsd = if xml.contains("<SINBA ") {
            spec("SINBA.xsd")
        } else {
            spec("PS_PSA_SINA201812.xsd")
        };
        xmllint(xml, &xsd, &format!("inps-sample-{i}"));
    }
}

#[test]
fn the_harness_rejects_an_invalid_flow() {
    // The same sample with an enumeration value the XSD does not allow, a
    // missing required attribute, and an element out of order: xmllint must fail.
    let xsd = spec("PS_PSA_SINA201812.xsd");
    let good = ps_sample_schema();
    for (what, bad) in [
        (
            "PresaCarico=3",
            good.replace("PresaCarico=\"1\"", "PresaCarico=\"3\""),
        ),
        (
            "no CodicePrestazione",
            good.replace("CodicePrestazione=\"A2.16\"", ""),
        ),
        (
            "short DenominazionePrestazione",
            good.replace("Interventi di supporto per reperimento alloggi", "Alloggi"),
        ),
        (
            "wrong namespace",
            good.replace("http://inps.it/Casellario", "http://inps.it/Altro"),
        ),
    ] {
        assert_ne!(bad, good);
        assert!(
            xmllint_check(&bad, &xsd, what).is_err(),
            "xmllint accepted: {what}"
        );
    }
    let sinba = sinba_sample().replace(
        "DataPrimaSegnalazione=\"01/2010\"",
        "DataPrimaSegnalazione=\"2010-01\"",
    );
    assert!(xmllint_check(&sinba, &spec("SINBA.xsd"), "bad-sinba-date").is_err());
}

#[test]
fn the_waas_ps_sample_parses_into_the_model() {
    let f = parse_ps(&ps_sample_waas()).unwrap();
    assert_eq!(f.nome, "H501.PS.20210520.0000002");
    assert_eq!(NomeFlusso::parse(&f.nome).unwrap().id_flusso(), f.nome);
    assert_eq!(f.ente.codice, "H501");
    assert_eq!(f.beneficiari.len(), 1);
    let b = &f.beneficiari[0];
    assert_eq!(b.beneficiario.anagrafica.genere, Genere::Femmina);
    assert_eq!(b.beneficiario.anagrafica.anno_nascita, 1939);
    assert_eq!(b.beneficiario.indirizzi, vec![Indirizzo::italia("01", "068001")]);
    // Three prestazioni under one beneficiary: fine for a bulk file, not for
    // a WaaS message (PDF v2.0.1 §2.1).
    assert_eq!(b.prestazioni.len(), 3);
    let p = &b.prestazioni[0];
    assert_eq!(p.codice_prestazione, "A1.16");
    assert_eq!(p.carattere, Some(CaratterePrestazione::Periodico));
    assert_eq!(p.importo_mensile, Some(imp("101.23")));
    assert_eq!(p.importo_soglia_isee, Some(imp("17000")));
    assert_eq!(p.ore_servizio_mensile, OreServizio::new(2, 59));
    let s = p.sina.as_ref().unwrap();
    assert_eq!(s.necessita_interventi_sociali, vec!["A2.17", "A2.18"]);
    assert_eq!(
        s.invalidita_civile,
        vec![InvCiv::Parziale75, InvCiv::TotaleSenzaAccompagnamento]
    );
    let p3 = &b.prestazioni[2];
    assert_eq!(
        (p3.carattere, p3.importo_prestazione, p3.presa_carico),
        (
            Some(CaratterePrestazione::Occasionale),
            Some(imp("1265.23")),
            PresaCarico::No
        )
    );
    assert!(p3.sina.is_none());
}

#[test]
fn what_our_rules_say_about_the_samples() {
    // WaaS PS sample: dummy codici fiscali, and the first prestazione's quote
    // (52.54 + 21.71 + 0.00) do not add up to its ImportoMensile (101.23).
    let f = parse_ps(&ps_sample_waas()).unwrap();
    let ente_rules: Vec<Rule> = check_ente(&f.ente).iter().map(|v| v.rule).collect();
    assert_eq!(ente_rules, vec![Rule::EnteOperatorCfInvalid]);
    let b = &f.beneficiari[0];
    let per_prestazione: Vec<Vec<Rule>> = b
        .prestazioni
        .iter()
        .map(|p| {
            validate_prestazione(&b.beneficiario, p)
                .err()
                .unwrap_or_default()
                .iter()
                .map(|v| v.rule)
                .collect()
        })
        .collect();
    assert_eq!(
        per_prestazione,
        vec![
            vec![Rule::BeneficiaryTaxCodeInvalid, Rule::BenefitSharesSumMismatch],
            vec![Rule::BeneficiaryTaxCodeInvalid],
            vec![Rule::BeneficiaryTaxCodeInvalid],
        ]
    );

    // Schema example: a periodic benefit from 2015-08-13 to 2016-08-13 (two
    // years) whose quote are all 0.0 against 200.0 a month; its name is not
    // in the prescribed form.
    let f = parse_ps(&ps_sample_schema()).unwrap();
    assert!(check_ente(&f.ente).is_empty());
    let b = &f.beneficiari[0];
    let rules: Vec<Rule> = validate_prestazione(&b.beneficiario, &b.prestazioni[0])
        .unwrap_err()
        .iter()
        .map(|v| v.rule)
        .collect();
    assert_eq!(
        rules,
        vec![Rule::BenefitEndDateOtherYear, Rule::BenefitSharesSumMismatch]
    );
    assert!(NomeFlusso::parse(&f.nome).is_err());

    // SINBA sample: residence in Italy without the region code (PDF Tabella 15).
    let f = parse_sinba(&sinba_sample()).unwrap();
    assert!(check_ente(&f.ente).is_empty());
    let rules: Vec<Rule> = validate_sinba(&f.casi[0])
        .unwrap_err()
        .iter()
        .map(|v| v.rule)
        .collect();
    assert_eq!(rules, vec![Rule::SinbaResidenceRegionMissing]);
}

#[test]
fn the_repaired_waas_ps_sample_comes_out_with_the_same_structure() {
    // Repair: valid check characters, and the missing SSN share of the first
    // prestazione (the second prestazione has 26.98 with the same amounts).
    let repaired = ps_sample_waas()
        .replace("AAABBB39M66A351C", "AAABBB39M66A351T")
        .replace("CCCDDD25A42H199X", "CCCDDD25A42H199E")
        .replacen("ImportoQuotaSSN=\"0.0\"", "ImportoQuotaSSN=\"26.98\"", 1);
    let xsd = spec("PS_PSA_SINA201812.xsd");
    xmllint(&repaired, &xsd, "repaired-sample");
    let f = parse_ps(&repaired).unwrap();
    let b = &f.beneficiari[0];
    let ok: Vec<ValidatedPrestazione> = b
        .prestazioni
        .iter()
        .map(|p| validate_prestazione(&b.beneficiario, p).unwrap())
        .collect();
    let nome = NomeFlusso::parse(&f.nome).unwrap();
    let flow = ps_bulk(&f.ente, &nome, &ok).unwrap();
    assert_valid(&flow);
    // Same elements, same attributes, same values (decimals compared as numbers).
    assert_eq!(attr_maps(&flow.xml), attr_maps(&repaired));
    // And back into the same model.
    assert_eq!(parse_ps(&flow.xml).unwrap(), f);

    // As WaaS messages: one per prestazione, each valid.
    let msgs = ps_messages(&f.ente, nome.data_invio(), nome.progressivo(), &ok).unwrap();
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[0].id_flusso(), "H501.PS.20210520.0000002");
    for m in &msgs {
        assert_valid(m);
        let back = parse_ps(&m.xml).unwrap();
        assert_eq!(back.beneficiari.len(), 1);
        assert_eq!(back.beneficiari[0].prestazioni.len(), 1);
    }
}

#[test]
fn the_repaired_schema_sample_split_by_year() {
    let f = parse_ps(&ps_sample_schema()).unwrap();
    let b = &f.beneficiari[0];
    let mut p = b.prestazioni[0].clone();
    p.importo_quota_ente = Some(imp("200"));
    let parts = split_by_year(&p).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(
        (parts[0].data_fine, parts[0].periodo_erogazione),
        (Some(d(2015, 12, 31)), Some(5))
    );
    assert_eq!(
        (parts[1].data_inizio, parts[1].periodo_erogazione),
        (Some(d(2016, 1, 1)), Some(8))
    );
    let ok: Vec<ValidatedPrestazione> = parts
        .iter()
        .map(|x| validate_prestazione(&b.beneficiario, x).unwrap())
        .collect();
    let nome = NomeFlusso::new("H501", TipoNome::Ps, d(2016, 4, 23), 1).unwrap();
    let flow = ps_bulk(&f.ente, &nome, &ok).unwrap();
    assert_valid(&flow);
    let back = parse_ps(&flow.xml).unwrap();
    assert_eq!(back.beneficiari[0].beneficiario, b.beneficiario);
    assert_eq!(back.beneficiari[0].prestazioni, parts);
}

#[test]
fn the_repaired_sinba_sample_comes_out_with_the_same_structure() {
    let repaired = sinba_sample().replace(
        "CodiceNazioneResidenza=\"380\"",
        "CodiceNazioneResidenza=\"380\" CodiceRegioneResidenza=\"12\"",
    );
    let xsd = spec("SINBA.xsd");
    xmllint(&repaired, &xsd, "repaired-sinba");
    let f = parse_sinba(&repaired).unwrap();
    assert_eq!(f.casi[0].id_beneficiario.as_str(), "PROVA BENEF");
    assert_eq!(f.casi[0].prestazioni, vec!["A1.02", "A2.06"]);
    assert_eq!(
        f.casi[0].famiglia,
        vec![ComposizioneFamiglia::Madre, ComposizioneFamiglia::Padre]
    );
    assert_eq!(f.casi[0].data_provvedimento_giudiziario, MeseAnno::new(2012, 3));
    let case = validate_sinba(&f.casi[0]).unwrap();
    let nome = NomeFlusso::parse(&f.nome).unwrap();
    assert_eq!(nome.to_string(), "H501.SINBA.20210520.0000004");
    let flow = sinba_bulk(&f.ente, &nome, std::slice::from_ref(&case)).unwrap();
    assert_valid(&flow);
    // Same structure; only the name's progressive is written with 7 digits.
    let mut ours = attr_maps(&flow.xml);
    let mut theirs = attr_maps(&repaired);
    ours[1].1.remove("Nome");
    theirs[1].1.remove("Nome");
    assert_eq!(ours, theirs);
    // Two codes: two WaaS messages (INPS answered RICHIESTA_INVALIDA to this
    // very sample, id H501.PS.20210520.00000004, in its /esiti example).
    let msgs = sinba_messages(&f.ente, nome.data_invio(), 4, &[case]).unwrap();
    assert_eq!(
        msgs.iter().map(|m| m.id_flusso()).collect::<Vec<_>>(),
        vec!["H501.SINBA.20210520.0000004", "H501.SINBA.20210520.0000005"]
    );
    for m in &msgs {
        assert_valid(m);
    }
}
