//! The model against the schemas themselves: every XSD enumeration is a Rust
//! enum with the same codes, and a flow with every optional field filled has
//! exactly the attributes and elements each XSD type declares.

mod common;

use common::*;
use metrodati_siuss::*;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::{BTreeMap, BTreeSet};

/// Per XSD: enumerations (simple type → codes), and attributes and child
/// elements of each complex type.
#[derive(Default, Debug)]
struct Schema {
    enums: BTreeMap<String, Vec<String>>,
    attrs: BTreeMap<String, BTreeSet<String>>,
    elements: BTreeMap<String, BTreeSet<String>>,
}

fn read_schema(path: &std::path::Path) -> Schema {
    let text = std::fs::read_to_string(path).unwrap();
    let mut r = Reader::from_str(&text);
    r.config_mut().trim_text(true);
    let mut s = Schema::default();
    let mut simple: Option<String> = None;
    let mut complex: Vec<String> = Vec::new();
    let mut depth_attr = 0usize;
    loop {
        let ev = r.read_event().unwrap();
        match &ev {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                let attr = |k: &str| {
                    e.attributes().flatten().find(|a| a.key.as_ref() == k).map(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned()
                    })
                };
                match name.as_str() {
                    "simpleType" => {
                        if let Some(n) = attr("name") {
                            simple = Some(n);
                        }
                    }
                    "enumeration" => {
                        if let (Some(t), Some(v)) = (&simple, attr("value")) {
                            if depth_attr == 0 {
                                s.enums.entry(t.clone()).or_default().push(v);
                            }
                        }
                    }
                    "complexType" => complex.push(attr("name").unwrap_or_else(|| "anonymous".into())),
                    "attribute" => {
                        if let Some(ct) = complex.last() {
                            s.attrs
                                .entry(ct.clone())
                                .or_default()
                                .insert(attr("name").unwrap());
                        }
                        if matches!(ev, Event::Start(_)) {
                            depth_attr += 1;
                        }
                    }
                    "element" => {
                        if let Some(ct) = complex.last() {
                            s.elements
                                .entry(ct.clone())
                                .or_default()
                                .insert(attr("name").unwrap());
                        }
                    }
                    _ => {}
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "simpleType" if depth_attr == 0 => simple = None,
                "complexType" => {
                    complex.pop();
                }
                "attribute" => depth_attr -= 1,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    s
}

#[test]
fn every_xsd_enumeration_is_a_rust_enum_with_the_same_codes() {
    let rust: BTreeMap<&str, Vec<&str>> = xsd_enumerations().into_iter().collect();
    let mut seen = BTreeSet::new();
    for file in ["PS_PSA_SINA201812.xsd", "SINBA.xsd"] {
        let schema = read_schema(&spec(file));
        assert!(schema.enums.len() > 10, "{file}: enumerations not read");
        for (ty, codes) in &schema.enums {
            let mine = rust
                .get(ty.as_str())
                .unwrap_or_else(|| panic!("{file}: no Rust enum for {ty}"));
            assert_eq!(mine, codes, "{file}: {ty}");
            seen.insert(ty.clone());
        }
    }
    for ty in rust.keys() {
        assert!(seen.contains(*ty), "Rust enum for {ty}, which no XSD defines");
    }
}

/// Element name → (attributes, child elements) found in a document.
fn shape(xml: &str) -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let mut r = Reader::from_str(xml);
    r.config_mut().trim_text(true);
    let mut out: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut stack: Vec<String> = Vec::new();
    loop {
        let ev = r.read_event().unwrap();
        match &ev {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                let entry = out.entry(name.clone()).or_default();
                for a in e.attributes().flatten() {
                    let k = a.key.as_ref().to_string();
                    if k != "xmlns" {
                        entry.0.insert(k);
                    }
                }
                if let Some(parent) = stack.last() {
                    out.get_mut(parent).unwrap().1.insert(name.clone());
                }
                if matches!(ev, Event::Start(_)) {
                    stack.push(name);
                }
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

#[test]
fn a_full_ps_flow_uses_every_attribute_and_element_of_the_xsd() {
    let schema = read_schema(&spec("PS_PSA_SINA201812.xsd"));
    let mut b = b_colombo();
    b.indirizzi.push(Indirizzo {
        codice_regione: None,
        codice_comune: None,
        codice_nazione: "250".into(),
    });
    let mut p = p_sad_sina();
    p.importo_quota_ente = Some(imp("370"));
    p.importo_quota_ssn = Some(imp("10"));
    p.importo_soglia_isee = Some(imp("25000"));
    p.data_erogazione = Some(d(2026, 2, 28));
    p.importo_prestazione = Some(imp("4620"));
    let flow = ps_message(
        &ente(),
        &NomeFlusso::new("F205", TipoNome::Ps, data_invio(), 1).unwrap(),
        &valid(&b, &p),
    )
    .unwrap();
    assert_valid(&flow);
    let got = shape(&flow.xml);
    let types = [
        ("Flusso", "FlussoType"),
        ("IdentificazioneFlusso", "IdentificazioneFlussoType"),
        ("Ente", "EnteType"),
        ("Beneficiario", "BeneficiarioType"),
        ("Anagrafica", "AnagraficaType"),
        ("Indirizzo", "IndirizzoType"),
        ("PrestazioniSociali", "PrestazioniSocialiType"),
        ("SINA", "SINAType"),
    ];
    for (el, ty) in types {
        let (attrs, children) = got.get(el).unwrap_or_else(|| panic!("{el} not written"));
        let want_attrs = schema.attrs.get(ty).cloned().unwrap_or_default();
        assert_eq!(attrs, &want_attrs, "attributes of {el} ({ty})");
        let want_children = schema.elements.get(ty).cloned().unwrap_or_default();
        assert_eq!(children, &want_children, "children of {el} ({ty})");
    }
}

#[test]
fn a_full_sinba_flow_uses_every_attribute_of_the_xsd() {
    let schema = read_schema(&spec("SINBA.xsd"));
    let mut c = sinba_affido(&secret());
    c.esito_affido = Some(EsitoAffido::RientratoFamigliaOrigine);
    c.carattere_inserimento_residenziale = Some(CarattereInserimentoResidenziale::ComunitarioSocioEducativa);
    c.forma_inserimento_residenziale = Some(FormaInserimentoResidenziale::Giudiziario);
    c.tipo_inserimento_residenziale = Some(TipoInserimentoResidenziale::SenzaGenitore);
    c.esito_inserimento_struttura = Some(EsitoInserimentoStruttura::RientratoFamigliaOrigine);
    c.motivazione_chiusura_carico = Some(MotivazioneChiusuraCarico::Maggiorenne);
    c.situazione_chiusura_carico = Some(SituazioneChiusuraCarico::FamigliaOrigine);
    c.codice_cittadinanza_padre = Some("380".into());
    c.codice_regione_residenza_padre = Some("03".into());
    c.codice_regione_residenza_madre = Some("07".into());
    c.titolo_studio_padre = Some(TitoloStudio::Laurea);
    c.titolo_studio_madre = Some(TitoloStudio::NessunTitolo);
    c.occupazione_padre = Some(Occupazione::Ritirato);
    c.occupazione_madre = Some(Occupazione::Casalinga);
    c.numero_componenti_isee = Some(4);
    c.fascia_isee_beneficiario = Some(FasciaIseeBeneficiario::Zero);
    let flow = sinba_message(
        &ente(),
        &NomeFlusso::new("F205", TipoNome::Sinba, data_invio(), 1).unwrap(),
        &valid_sinba(&c),
    )
    .unwrap();
    assert_valid(&flow);
    let got = shape(&flow.xml);
    assert_eq!(got["SINBA"].0, schema.attrs["SinbaType"], "attributes of SINBA");
    assert_eq!(got["Ente"].0, schema.attrs["EnteType"]);
    assert_eq!(got["SINBA"].1, schema.elements["SinbaType"], "children of SINBA");
    assert_eq!(
        got["Flusso"].1, schema.elements["FlussoType"],
        "children of Flusso"
    );
}
