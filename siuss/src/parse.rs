//! Reading PS/PSA/SINA and SINBA flows back into the model.
//!
//! Used to check what was generated (round trips), to read INPS's sample
//! flows, and by whoever needs the content of a stored flow. Strict: every
//! element must be in the `http://inps.it/Casellario` namespace, every
//! attribute known (namespace declarations and `xsi:` attributes aside),
//! every code one of the schema's; reading does **not** apply the
//! validation rules ([`crate::validate`]).

use crate::codes::{TipoOperazione, XsdCode};
use crate::decimal::{Importo, OreServizio};
use crate::model::*;
use crate::pseudonym::IdBeneficiario;
use crate::xml::NAMESPACE;
use chrono::NaiveDate;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use std::collections::BTreeMap;

/// A flow that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ParseError {
    /// Where: element path and attribute (`Flusso/Beneficiario[2]@CodiceFiscale`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn err<T>(path: &str, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        path: path.to_string(),
        message: message.into(),
    })
}

/// A parsed PS/PSA/SINA flow.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PsFlusso {
    /// `IdentificazioneFlusso@Nome` as written.
    pub nome: String,
    /// The ente.
    pub ente: Ente,
    /// Beneficiaries with their prestazioni, in document order.
    pub beneficiari: Vec<BeneficiarioPrestazioni>,
}

/// A beneficiary and the prestazioni listed under it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BeneficiarioPrestazioni {
    /// The beneficiary.
    pub beneficiario: Beneficiario,
    /// Its prestazioni, in document order.
    pub prestazioni: Vec<Prestazione>,
}

/// A parsed SINBA flow.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SinbaFlusso {
    /// `IdentificazioneFlusso@Nome` as written.
    pub nome: String,
    /// The ente.
    pub ente: Ente,
    /// The cases, in document order.
    pub casi: Vec<SinbaCase>,
}

// ---------------------------------------------------------------------------
// A minimal element tree
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct Element {
    name: String,
    path: String,
    attrs: BTreeMap<String, String>,
    children: Vec<Element>,
    text: String,
}

fn read_tree(xml: &str) -> Result<Element, ParseError> {
    let mut reader = NsReader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let (ns, ev) = reader.read_resolved_event().map_err(|e| ParseError {
            path: "XML".into(),
            message: e.to_string(),
        })?;
        let in_ns = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == NAMESPACE);
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.local_name().as_ref().to_string();
                let parent_path = stack.last().map(|p| p.path.clone());
                let index = stack
                    .last()
                    .map_or(0, |p| p.children.iter().filter(|c| c.name == name).count())
                    + 1;
                let path = match parent_path {
                    Some(pp) => format!("{pp}/{name}[{index}]"),
                    None => name.clone(),
                };
                if !in_ns {
                    return err(&path, format!("element not in the namespace {NAMESPACE}"));
                }
                if root.is_some() {
                    return err(&path, "content after the root element");
                }
                let mut attrs = BTreeMap::new();
                for a in e.attributes() {
                    let a = a.map_err(|e| ParseError {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
                    let key = a.key.as_ref().to_string();
                    if key == "xmlns" || key.starts_with("xmlns:") || key.starts_with("xsi:") {
                        continue;
                    }
                    if key.contains(':') {
                        return err(&path, format!("unexpected attribute {key}"));
                    }
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| ParseError {
                            path: format!("{path}@{key}"),
                            message: e.to_string(),
                        })?
                        .into_owned();
                    attrs.insert(key, value);
                }
                let el = Element {
                    name,
                    path,
                    attrs,
                    children: Vec::new(),
                    text: String::new(),
                };
                if matches!(ev, Event::Empty(_)) {
                    match stack.last_mut() {
                        Some(p) => p.children.push(el),
                        None => root = Some(el),
                    }
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let el = stack.pop().expect("the reader checks that tags are balanced");
                match stack.last_mut() {
                    Some(p) => p.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.xml10_content());
                } else if !t.xml10_content().trim().is_empty() {
                    return err("XML", "text outside the root element");
                }
            }
            Event::GeneralRef(r) => {
                let name = r.to_string();
                let s = match name.as_str() {
                    "amp" => "&".to_string(),
                    "lt" => "<".to_string(),
                    "gt" => ">".to_string(),
                    "quot" => "\"".to_string(),
                    "apos" => "'".to_string(),
                    n if n.starts_with('#') => {
                        let cp = if let Some(h) = n.strip_prefix("#x") {
                            u32::from_str_radix(h, 16).ok()
                        } else {
                            n[1..].parse().ok()
                        };
                        match cp.and_then(char::from_u32) {
                            Some(c) => c.to_string(),
                            None => return err("XML", format!("invalid character reference &{n};")),
                        }
                    }
                    n => return err("XML", format!("unknown entity &{n};")),
                };
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&s);
                }
            }
            Event::CData(c) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&c.xml10_content());
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::DocType(_) => return err("XML", "DOCTYPE not allowed"),
        }
    }
    if !stack.is_empty() {
        return err("XML", "unexpected end of document");
    }
    root.ok_or_else(|| ParseError {
        path: "XML".into(),
        message: "empty document".into(),
    })
}

/// Reads attributes of one element, and rejects those that were not read.
struct Attrs<'a> {
    el: &'a Element,
    used: Vec<&'static str>,
}

impl<'a> Attrs<'a> {
    fn new(el: &'a Element) -> Attrs<'a> {
        Attrs { el, used: Vec::new() }
    }

    fn path(&self, name: &str) -> String {
        format!("{}@{name}", self.el.path)
    }

    fn opt_str(&mut self, name: &'static str) -> Option<String> {
        self.used.push(name);
        self.el.attrs.get(name).cloned()
    }

    fn req_str(&mut self, name: &'static str) -> Result<String, ParseError> {
        match self.opt_str(name) {
            Some(v) => Ok(v),
            None => err(&self.path(name), "required attribute missing"),
        }
    }

    fn opt<T>(
        &mut self,
        name: &'static str,
        f: impl Fn(&str) -> Option<T>,
        what: &str,
    ) -> Result<Option<T>, ParseError> {
        match self.opt_str(name) {
            None => Ok(None),
            Some(v) => match f(&v) {
                Some(t) => Ok(Some(t)),
                None => err(&self.path(name), format!("{v:?} is not {what}")),
            },
        }
    }

    fn req<T>(
        &mut self,
        name: &'static str,
        f: impl Fn(&str) -> Option<T>,
        what: &str,
    ) -> Result<T, ParseError> {
        match self.opt(name, f, what)? {
            Some(t) => Ok(t),
            None => err(&self.path(name), "required attribute missing"),
        }
    }

    fn opt_code<T: XsdCode>(&mut self, name: &'static str) -> Result<Option<T>, ParseError> {
        self.opt(name, T::from_code, &format!("a {} code", T::XSD_TYPE))
    }

    fn req_code<T: XsdCode>(&mut self, name: &'static str) -> Result<T, ParseError> {
        self.req(name, T::from_code, &format!("a {} code", T::XSD_TYPE))
    }

    fn opt_date(&mut self, name: &'static str) -> Result<Option<NaiveDate>, ParseError> {
        self.opt(
            name,
            |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
            "a date YYYY-MM-DD",
        )
    }

    fn opt_importo(&mut self, name: &'static str) -> Result<Option<Importo>, ParseError> {
        self.opt(name, |s| s.parse().ok(), "a decimal with at most two decimals")
    }

    fn year(s: &str) -> Option<u16> {
        (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    }

    fn finish(self) -> Result<(), ParseError> {
        for k in self.el.attrs.keys() {
            if !self.used.contains(&k.as_str()) {
                return err(&format!("{}@{k}", self.el.path), "unknown attribute");
            }
        }
        Ok(())
    }
}

fn children<'a>(el: &'a Element, allowed: &[&str]) -> Result<Vec<&'a Element>, ParseError> {
    for c in &el.children {
        if !allowed.contains(&c.name.as_str()) {
            return err(&c.path, "unexpected element");
        }
    }
    Ok(el.children.iter().collect())
}

fn no_text(el: &Element) -> Result<(), ParseError> {
    if el.text.trim().is_empty() {
        Ok(())
    } else {
        err(&el.path, "unexpected text")
    }
}

fn leaf_texts<'a>(el: &'a Element, child: &str) -> Result<Vec<&'a str>, ParseError> {
    no_text(el)?;
    children(el, &[child])?
        .into_iter()
        .map(|c| {
            if !c.children.is_empty() || !c.attrs.is_empty() {
                return err(&c.path, "a text-only element was expected");
            }
            Ok(c.text.as_str())
        })
        .collect()
}

fn header(root: &Element) -> Result<(String, Ente, Vec<&Element>), ParseError> {
    if root.name != "Flusso" {
        return err(&root.path, "the root element must be Flusso");
    }
    Attrs::new(root).finish()?;
    no_text(root)?;
    let mut it = root.children.iter();
    let id = match it.next() {
        Some(e) if e.name == "IdentificazioneFlusso" => e,
        _ => return err(&root.path, "IdentificazioneFlusso expected first"),
    };
    let mut a = Attrs::new(id);
    let nome = a.req_str("Nome")?;
    a.finish()?;
    no_text(id)?;
    let kids = children(id, &["Ente"])?;
    let [ente_el] = kids.as_slice() else {
        return err(&id.path, "exactly one Ente expected");
    };
    let mut a = Attrs::new(ente_el);
    let ente = Ente {
        codice: a.req_str("Codice")?,
        denominazione: a.opt_str("Denominazione"),
        indirizzo: a.req_str("Indirizzo")?,
        cf_operatore: a.req_str("CFOperatore")?,
        codice_istat: None,
    };
    a.finish()?;
    Ok((nome, ente, it.collect()))
}

// ---------------------------------------------------------------------------
// PS/PSA/SINA
// ---------------------------------------------------------------------------

/// Reads a PS/PSA/SINA flow.
pub fn parse_ps(xml: &str) -> Result<PsFlusso, ParseError> {
    let root = read_tree(xml)?;
    let (nome, ente, rest) = header(&root)?;
    let mut beneficiari = Vec::new();
    for b in rest {
        if b.name != "Beneficiario" {
            return err(&b.path, "Beneficiario expected");
        }
        beneficiari.push(beneficiario(b)?);
    }
    if beneficiari.is_empty() {
        return err(&root.path, "at least one Beneficiario expected");
    }
    Ok(PsFlusso {
        nome,
        ente,
        beneficiari,
    })
}

fn beneficiario(el: &Element) -> Result<BeneficiarioPrestazioni, ParseError> {
    let mut a = Attrs::new(el);
    let codice_fiscale = a.req_str("CodiceFiscale")?;
    a.finish()?;
    no_text(el)?;
    let kids = children(el, &["Anagrafica", "Indirizzo", "PrestazioniSociali"])?;
    let mut anagrafica = None;
    let mut indirizzi = Vec::new();
    let mut prestazioni = Vec::new();
    for k in kids {
        match k.name.as_str() {
            "Anagrafica" => {
                if anagrafica.is_some() || !indirizzi.is_empty() || !prestazioni.is_empty() {
                    return err(&k.path, "Anagrafica must come first, once");
                }
                let mut a = Attrs::new(k);
                anagrafica = Some(Anagrafica {
                    cognome: a.req_str("Cognome")?,
                    nome: a.req_str("Nome")?,
                    anno_nascita: a.req("AnnoNascita", Attrs::year, "a 4-digit year")?,
                    luogo_nascita: a.req_str("LuogoNascita")?,
                    genere: a.req_code("Genere")?,
                    codice_cittadinanza: a.req_str("CodiceCittadinanza")?,
                    codice_seconda_cittadinanza: a.opt_str("CodiceSecondaCittadinanza"),
                });
                a.finish()?;
            }
            "Indirizzo" => {
                if anagrafica.is_none() || !prestazioni.is_empty() {
                    return err(&k.path, "Indirizzo must follow Anagrafica");
                }
                let mut a = Attrs::new(k);
                indirizzi.push(Indirizzo {
                    codice_regione: a.opt_str("CodiceRegione"),
                    codice_comune: a.opt_str("CodiceComune"),
                    codice_nazione: a.req_str("CodiceNazione")?,
                });
                a.finish()?;
            }
            _ => {
                if indirizzi.is_empty() {
                    return err(&k.path, "PrestazioniSociali must follow Indirizzo");
                }
                prestazioni.push(prestazione(k)?);
            }
        }
    }
    let Some(anagrafica) = anagrafica else {
        return err(&el.path, "Anagrafica missing");
    };
    if prestazioni.is_empty() {
        return err(&el.path, "at least one PrestazioniSociali expected");
    }
    Ok(BeneficiarioPrestazioni {
        beneficiario: Beneficiario {
            codice_fiscale,
            anagrafica,
            indirizzi,
        },
        prestazioni,
    })
}

fn prestazione(el: &Element) -> Result<Prestazione, ParseError> {
    let mut a = Attrs::new(el);
    let p = Prestazione {
        tipo_operazione: a
            .opt_code("TipoOperazione")?
            .unwrap_or(TipoOperazione::Inserimento),
        presenza_prova_mezzi: a.req_code("PresenzaProvaMezzi")?,
        carattere: a.opt_code("CaratterePrestazione")?,
        numero_protocollo_dsu: a.opt_str("NumeroProtocolloDSU"),
        anno_protocollo_dsu: a.opt("AnnoProtocolloDSU", Attrs::year, "a 4-digit year")?,
        data_dsu: a.opt_date("DataDSU")?,
        codice_prestazione: a.req_str("CodicePrestazione")?,
        denominazione_prestazione: a.req_str("DenominazionePrestazione")?,
        protocollo_domanda: a.req_str("ProtocolloDomanda")?,
        data_evento: a.opt_date("DataEvento")?,
        data_inizio: a.opt_date("DataInizioPrestazione")?,
        data_fine: a.opt_date("DataFinePrestazione")?,
        data_erogazione: a.opt_date("DataErogazionePrestazione")?,
        importo_prestazione: a.opt_importo("ImportoPrestazione")?,
        periodo_erogazione: a.opt(
            "PeriodoErogazione",
            |s| s.trim().parse().ok(),
            "a number of months",
        )?,
        importo_mensile: a.opt_importo("ImportoMensile")?,
        importo_quota_ente: a.opt_importo("ImportoQuotaEnte")?,
        importo_quota_utente: a.opt_importo("ImportoQuotaUtente")?,
        importo_quota_ssn: a.opt_importo("ImportoQuotaSSN")?,
        importo_quota_richiesta: a.opt_importo("ImportoQuotaRichiesta")?,
        importo_soglia_isee: a.opt_importo("ImportoSogliaISEE")?,
        ore_servizio_mensile: a.opt(
            "OreServizioMensile",
            |s| s.parse::<OreServizio>().ok(),
            "hours.minutes",
        )?,
        presa_carico: a.req_code("PresaCarico")?,
        area_utenza: a.opt_code("AreaUtenza")?,
        sina: None,
    };
    a.finish()?;
    no_text(el)?;
    let kids = children(el, &["SINA"])?;
    let sina = match kids.as_slice() {
        [] => None,
        [s] => Some(sina(s)?),
        [_, second, ..] => return err(&second.path, "at most one SINA"),
    };
    Ok(Prestazione { sina, ..p })
}

fn sina(el: &Element) -> Result<Sina, ParseError> {
    let mut a = Attrs::new(el);
    let mut s = Sina {
        mobilita: a.req_code("Mobilita")?,
        attivita_vita_quotidiana: a.req_code("AttivitaVitaQuotidiana")?,
        disturbi_area_cognitiva: a.opt_code("DisturbiAreaCognitiva")?,
        disturbi_comportamentali: a.req_code("DisturbiComportamentali")?,
        necessita_cure_sanitarie: a.opt_code("NecessitaCureSanitarie")?,
        area_reddituale: a.req_code("AreaReddituale")?,
        area_supporto: a.req_code("AreaSupporto")?,
        fonte_derivazione_valutazione: a.req_code("FonteDerivazioneValutazione")?,
        strumento_valutazione: a.req_code("StrumentoValutazione")?,
        fonte_derivazione_invalidita: a.opt_code("FonteDerivazioneInvalidita")?,
        necessita_interventi_sociali: Vec::new(),
        invalidita_civile: Vec::new(),
    };
    a.finish()?;
    no_text(el)?;
    let mut last = 0;
    for k in children(el, &["NecessitaInterventiSociali", "InvaliditaCivile"])? {
        let order = if k.name == "NecessitaInterventiSociali" {
            1
        } else {
            2
        };
        if order <= last {
            return err(&k.path, "out of order or repeated");
        }
        last = order;
        Attrs::new(k).finish()?;
        let texts = leaf_texts(k, if order == 1 { "CodicePrestazione" } else { "InvCiv" })?;
        if texts.is_empty() {
            return err(&k.path, "at least one child expected");
        }
        if order == 1 {
            s.necessita_interventi_sociali = texts.into_iter().map(str::to_string).collect();
        } else {
            for t in texts {
                match crate::codes::InvCiv::from_code(t) {
                    Some(v) => s.invalidita_civile.push(v),
                    None => return err(&k.path, format!("{t:?} is not an InvCivType code")),
                }
            }
        }
    }
    Ok(s)
}

// ---------------------------------------------------------------------------
// SINBA
// ---------------------------------------------------------------------------

/// Reads a SINBA flow.
pub fn parse_sinba(xml: &str) -> Result<SinbaFlusso, ParseError> {
    let root = read_tree(xml)?;
    let (nome, ente, rest) = header(&root)?;
    let mut casi = Vec::new();
    for s in rest {
        if s.name != "SINBA" {
            return err(&s.path, "SINBA expected");
        }
        casi.push(sinba_case(s)?);
    }
    if casi.is_empty() {
        return err(&root.path, "at least one SINBA expected");
    }
    Ok(SinbaFlusso { nome, ente, casi })
}

fn mese_anno(s: &str) -> Option<MeseAnno> {
    s.parse().ok()
}

fn sinba_case(el: &Element) -> Result<SinbaCase, ParseError> {
    let mut a = Attrs::new(el);
    let id = a.req_str("IDBeneficiario")?;
    let id_beneficiario =
        IdBeneficiario::from_existing(&id).or_else(|e| err(&a.path("IDBeneficiario"), e.to_string()))?;
    let c = SinbaCase {
        id_beneficiario,
        prestazioni: Vec::new(),
        famiglia: Vec::new(),
        minore_straniero_no_acc: a.req_code("MinoreStranieroNoAcc")?,
        condizione_minore: a.req_code("CondizioneMinore")?,
        luogo_vita: a.req_code("LuogoVita")?,
        scuola_frequentata: a.req_code("ScuolaFrequentata")?,
        condizione_lavoro: a.req_code("CondizioneLavoro")?,
        disabilita: a.req_code("Disabilita")?,
        tipo_disabilita: a.opt_code("TipoDisabilita")?,
        inv_civ_certificazioni: a.opt_code("InvCivCertificazioni")?,
        codice_cittadinanza_padre: a.opt_str("CodiceCittadinanzaPadre"),
        codice_cittadinanza_madre: a.opt_str("CodiceCittadinanzaMadre"),
        codice_regione_residenza_padre: a.opt_str("CodiceRegioneResidenzaPadre"),
        codice_regione_residenza_madre: a.opt_str("CodiceRegioneResidenzaMadre"),
        titolo_studio_padre: a.opt_code("TitoloStudioPadre")?,
        titolo_studio_madre: a.opt_code("TitoloStudioMadre")?,
        occupazione_padre: a.opt_code("OccupazionePadre")?,
        occupazione_madre: a.opt_code("OccupazioneMadre")?,
        data_prima_segnalazione: a.req("DataPrimaSegnalazione", mese_anno, "a MM/YYYY month")?,
        fonte_segnalazione: a.req_code("FonteSegnalazione")?,
        valutazione_minore: a.req_code("ValutazioneMinore")?,
        valutazione_famiglia_minore: a.req_code("ValutazioneFamigliaMinore")?,
        segnalazione_autorita_giudiziaria: a.req_code("SegnalazioneAutoritaGiudiziaria")?,
        data_segnalazione: a.opt("DataSegnalazione", mese_anno, "a MM/YYYY month")?,
        provvedimento_giudiziario: a.req_code("ProvvedimentoGiudiziario")?,
        data_provvedimento_giudiziario: a.opt(
            "DataProvvedimentoGiudiziario",
            mese_anno,
            "a MM/YYYY month",
        )?,
        autorita_provvedimento: a.opt_code("AutoritaProvvedimento")?,
        potesta_tutela: a.opt_code("PotestaTutela")?,
        tipo_provvedimento_giudiziario: a.opt_code("TipoProvvedimentoGiudiziario")?,
        forma_intervento_affido: a.opt_code("FormaInterventoAffido")?,
        tipo_intervento_affido: a.opt_code("TipoInterventoAffido")?,
        durata_affido: a.opt_code("DurataAffido")?,
        carattere_affido: a.opt_code("CarattereAffido")?,
        esito_affido: a.opt_code("EsitoAffido")?,
        carattere_inserimento_residenziale: a.opt_code("CarattereInserimentoResidenziale")?,
        forma_inserimento_residenziale: a.opt_code("FormaInserimentoResidenziale")?,
        tipo_inserimento_residenziale: a.opt_code("TipoInserimentoResidenziale")?,
        esito_inserimento_struttura: a.opt_code("EsitoInserimentoStruttura")?,
        motivazione_chiusura_carico: a.opt_code("MotivazioneChiusuraCarico")?,
        situazione_chiusura_carico: a.opt_code("SituazioneChiusuraCarico")?,
        collaborazioni_interventi: a.opt_code("CollaborazioniInterventi")?,
        numero_componenti_isee: a.opt("NumeroComponentiISEE", |s| s.trim().parse().ok(), "a number")?,
        fascia_eta_beneficiario: a.req_code("FasciaEtaBeneficiario")?,
        fascia_isee_beneficiario: a.opt_code("FasciaISEEBeneficiario")?,
        anno_nascita: a.req("AnnoNascita", Attrs::year, "a 4-digit year")?,
        codice_regione_residenza: a.opt_str("CodiceRegioneResidenza"),
        codice_nazione_residenza: a.req_str("CodiceNazioneResidenza")?,
    };
    a.finish()?;
    no_text(el)?;
    let kids = children(el, &["Prestazioni", "Famiglia"])?;
    let [p, f] = kids.as_slice() else {
        return err(&el.path, "Prestazioni and Famiglia expected");
    };
    if p.name != "Prestazioni" || f.name != "Famiglia" {
        return err(&el.path, "Prestazioni then Famiglia expected");
    }
    Attrs::new(p).finish()?;
    Attrs::new(f).finish()?;
    let prestazioni: Vec<String> = leaf_texts(p, "CodicePrestazione")?
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut famiglia = Vec::new();
    for t in leaf_texts(f, "ComposizioneFamiglia")? {
        match crate::codes::ComposizioneFamiglia::from_code(t) {
            Some(v) => famiglia.push(v),
            None => return err(&f.path, format!("{t:?} is not a ComposizioneFamigliaType code")),
        }
    }
    if prestazioni.is_empty() || famiglia.is_empty() {
        return err(&el.path, "Prestazioni and Famiglia need at least one child each");
    }
    Ok(SinbaCase {
        prestazioni,
        famiglia,
        ..c
    })
}
