//! `dcatapit:Catalog`, catalogue-wide validation and the mapping to RDF.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::dataset::{Dataset, DatasetBuilder};
use crate::distribution::Distribution;
use crate::error::{Issue, ValidationError};
use crate::model::{Agent, ContactPoint, DateValue, Iri, LangString, Spatial, Standard};
use crate::rdf::{ns, xsd, Graph, Literal, Name, Node};
use crate::validate::{self, Ctx};
use crate::vocab::{DataTheme, Language, Licence};

/// Builder for a [`Catalog`].
///
/// Mandatory (DCAT-AP_IT): `dct:title`, `dct:description`, `dct:publisher`,
/// `dct:modified` (an `xsd:date`, not earlier than any dataset's
/// `dct:modified`), `dcat:dataset` (≥ 1); plus the base IRI under which this
/// crate mints the IRIs of the catalogue, datasets, distributions, agents and
/// contact points.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct CatalogBuilder {
    base_iri: Option<String>,
    titles: Vec<LangString>,
    descriptions: Vec<LangString>,
    publisher: Option<Agent>,
    modified: Option<NaiveDate>,
    issued: Option<NaiveDate>,
    homepage: Option<String>,
    languages: Vec<Language>,
    datasets: Vec<DatasetBuilder>,
}

/// A validated DCAT-AP_IT catalogue, ready to serialise.
///
/// IRIs minted under the base IRI `B` (which ends with `/`):
///
/// | node | IRI |
/// |---|---|
/// | catalogue | `B` + `catalog` |
/// | dataset `ipa:local` | `B` + `dataset/{ipa}/{local}` |
/// | distribution `id` | dataset IRI + `/distribution/{id}` |
/// | agent | `B` + `agent/{ipa}` |
/// | contact point | `B` + `contact-point/{email}` |
///
/// Licences, standards and GeoNames locations keep their own IRIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    base_iri: String,
    titles: Vec<LangString>,
    descriptions: Vec<LangString>,
    publisher: Agent,
    modified: NaiveDate,
    issued: Option<NaiveDate>,
    homepage: Option<Iri>,
    languages: Vec<Language>,
    datasets: Vec<Dataset>,
}

impl Catalog {
    /// Start building a catalogue.
    pub fn builder() -> CatalogBuilder {
        CatalogBuilder::default()
    }

    /// Base IRI (ends with `/`).
    pub fn base_iri(&self) -> &str {
        &self.base_iri
    }
    /// `dct:title` values.
    pub fn titles(&self) -> &[LangString] {
        &self.titles
    }
    /// `dct:description` values.
    pub fn descriptions(&self) -> &[LangString] {
        &self.descriptions
    }
    /// `dct:publisher`.
    pub fn publisher(&self) -> &Agent {
        &self.publisher
    }
    /// `dct:modified`.
    pub fn modified(&self) -> NaiveDate {
        self.modified
    }
    /// `dct:issued`.
    pub fn issued(&self) -> Option<NaiveDate> {
        self.issued
    }
    /// `foaf:homepage`.
    pub fn homepage(&self) -> Option<&Iri> {
        self.homepage.as_ref()
    }
    /// `dct:language` values.
    pub fn languages(&self) -> &[Language] {
        &self.languages
    }
    /// Datasets, sorted by identifier.
    pub fn datasets(&self) -> &[Dataset] {
        &self.datasets
    }

    /// IRI of the catalogue node.
    pub fn iri(&self) -> String {
        format!("{}catalog", self.base_iri)
    }
    /// IRI of a dataset node.
    pub fn dataset_iri(&self, d: &Dataset) -> String {
        format!(
            "{}dataset/{}/{}",
            self.base_iri,
            d.identifier().ipa_code(),
            d.identifier().local_id()
        )
    }
    /// IRI of a distribution node.
    pub fn distribution_iri(&self, d: &Dataset, dist: &Distribution) -> String {
        format!("{}/distribution/{}", self.dataset_iri(d), dist.id())
    }
    /// IRI of an agent node.
    pub fn agent_iri(&self, a: &Agent) -> String {
        format!("{}agent/{}", self.base_iri, a.ipa_code)
    }
    /// IRI of a contact-point node.
    pub fn contact_point_iri(&self, c: &ContactPoint) -> String {
        format!("{}contact-point/{}", self.base_iri, c.email)
    }

    /// The RDF description of the whole catalogue, in output order: catalogue,
    /// then each dataset followed by its distributions, then agents, contact
    /// points, licences, standards and locations (each group sorted by IRI).
    pub fn to_graph(&self) -> Graph {
        Mapper::new(self).run()
    }

    /// Deterministic Turtle serialisation.
    pub fn to_turtle(&self) -> String {
        self.to_graph().to_turtle()
    }

    /// Deterministic RDF/XML serialisation (`catalog.rdf`, the form the
    /// dati.gov.it documentation and FAQ point harvesters to).
    pub fn to_rdf_xml(&self) -> String {
        self.to_graph()
            .to_rdf_xml()
            .expect("validated catalogue text contains only XML-representable characters")
    }
}

impl CatalogBuilder {
    /// Base IRI for minted IRIs: an `http(s)` URL ending with `/`, without
    /// query or fragment (e.g. `https://dati.example.it/`).
    pub fn base_iri(mut self, iri: impl Into<String>) -> Self {
        self.base_iri = Some(iri.into());
        self
    }
    /// Add a `dct:title` (mandatory; one per language).
    pub fn title(mut self, lang: &str, value: impl Into<String>) -> Self {
        self.titles.push(LangString::new(lang, value));
        self
    }
    /// Add a `dct:description` (mandatory; plain text; one per language).
    pub fn description(mut self, lang: &str, value: impl Into<String>) -> Self {
        self.descriptions.push(LangString::new(lang, value));
        self
    }
    /// `dct:publisher` (mandatory).
    pub fn publisher(mut self, agent: Agent) -> Self {
        self.publisher = Some(agent);
        self
    }
    /// `dct:modified` (mandatory, `xsd:date`).
    pub fn modified(mut self, date: NaiveDate) -> Self {
        self.modified = Some(date);
        self
    }
    /// `dct:issued` (recommended, `xsd:date`).
    pub fn issued(mut self, date: NaiveDate) -> Self {
        self.issued = Some(date);
        self
    }
    /// `foaf:homepage` (recommended).
    pub fn homepage(mut self, url: impl Into<String>) -> Self {
        self.homepage = Some(url.into());
        self
    }
    /// Add a `dct:language` (recommended).  Duplicates are ignored.
    pub fn language(mut self, l: Language) -> Self {
        if !self.languages.contains(&l) {
            self.languages.push(l);
        }
        self
    }
    /// Add a dataset.
    pub fn dataset(mut self, d: DatasetBuilder) -> Self {
        self.datasets.push(d);
        self
    }

    /// Validate the catalogue, every dataset and every distribution, and the
    /// consistency between them; all problems are reported in one error.
    pub fn build(self) -> Result<Catalog, ValidationError> {
        let mut issues: Vec<Issue> = Vec::new();
        let mut ctx = Ctx::new("catalog", &mut issues);

        let base_iri = match &self.base_iri {
            None => {
                ctx.missing("base IRI");
                None
            }
            Some(b) => {
                let ok = ctx.http_iri("base IRI", b);
                if ok.is_some() && (!b.ends_with('/') || b.contains('?') || b.contains('#')) {
                    ctx.invalid(
                        "base IRI",
                        format!("{b:?} must end with '/' and have no query or fragment"),
                    );
                    None
                } else {
                    ok.map(String::from)
                }
            }
        };
        validate::lang_strings(&mut ctx, "dct:title", &self.titles, true, true);
        validate::lang_strings(&mut ctx, "dct:description", &self.descriptions, true, true);
        match &self.publisher {
            Some(a) => validate::agent(&mut ctx, "dct:publisher", a),
            None => ctx.missing("dct:publisher"),
        }
        if self.modified.is_none() {
            ctx.missing("dct:modified");
        }
        if let (Some(i), Some(m)) = (self.issued, self.modified) {
            if i > m {
                ctx.invalid("dct:issued", format!("issued {i} is after modified {m}"));
            }
        }
        let homepage = self
            .homepage
            .as_deref()
            .and_then(|u| ctx.http_iri("foaf:homepage", u));
        if self.datasets.is_empty() {
            ctx.missing("dcat:dataset");
        }

        let mut datasets = Vec::with_capacity(self.datasets.len());
        for (i, d) in self.datasets.into_iter().enumerate() {
            let label = d.label(Some(i));
            let mut child = ctx.child(&label);
            if let Some(d) = d.validate(&mut child) {
                datasets.push(d);
            }
        }
        datasets.sort_by(|a, b| a.identifier().cmp(b.identifier()));

        // Cross-dataset consistency.
        for w in datasets.windows(2) {
            if w[0].identifier() == w[1].identifier() {
                ctx.invalid(
                    "dct:identifier",
                    format!("duplicate dataset identifier {:?}", w[0].identifier().to_string()),
                );
            }
        }
        if let Some(m) = self.modified {
            for d in &datasets {
                if d.modified().date() > m {
                    ctx.invalid(
                        "dct:modified",
                        format!(
                            "catalogue modified {m} is earlier than dataset {} modified {}",
                            d.identifier(),
                            d.modified().lexical()
                        ),
                    );
                }
            }
        }
        check_shared_nodes(&mut ctx, self.publisher.as_ref(), &datasets);

        if !issues.is_empty() {
            return Err(ValidationError::new(issues));
        }
        Ok(Catalog {
            base_iri: base_iri.expect("checked"),
            titles: self.titles,
            descriptions: self.descriptions,
            publisher: self.publisher.expect("checked"),
            modified: self.modified.expect("checked"),
            issued: self.issued,
            homepage,
            languages: self.languages,
            datasets,
        })
    }
}

/// Nodes shared between datasets get one IRI each, so two different
/// descriptions under the same IRI would merge into contradictory data.
fn check_shared_nodes(ctx: &mut Ctx<'_>, publisher: Option<&Agent>, datasets: &[Dataset]) {
    fn check_agent<'a>(ctx: &mut Ctx<'_>, agents: &mut BTreeMap<&'a str, &'a str>, a: &'a Agent) {
        let prev = agents.entry(a.ipa_code.as_str()).or_insert(a.name.as_str());
        if *prev != a.name {
            ctx.invalid(
                "foaf:name",
                format!(
                    "agent {:?} has conflicting names {:?} and {:?}",
                    a.ipa_code, prev, a.name
                ),
            );
        }
    }
    let mut agents: BTreeMap<&str, &str> = BTreeMap::new();
    if let Some(p) = publisher {
        check_agent(ctx, &mut agents, p);
    }
    let mut contacts: BTreeMap<&str, &ContactPoint> = BTreeMap::new();
    let mut standards: BTreeMap<&str, &Standard> = BTreeMap::new();
    let mut reported: BTreeSet<String> = BTreeSet::new();
    for d in datasets {
        check_agent(ctx, &mut agents, d.rights_holder());
        if let Some(p) = d.publisher() {
            check_agent(ctx, &mut agents, p);
        }
        for c in d.contact_points() {
            let prev = contacts.entry(c.email.as_str()).or_insert(c);
            if *prev != c && reported.insert(format!("cp {}", c.email)) {
                ctx.invalid(
                    "dcat:contactPoint",
                    format!("contact point {:?} is described in two different ways", c.email),
                );
            }
        }
        for s in d.conforms_to() {
            let prev = standards.entry(s.iri.as_str()).or_insert(s);
            if *prev != s && reported.insert(format!("std {}", s.iri)) {
                ctx.invalid(
                    "dct:conformsTo",
                    format!("standard <{}> is described in two different ways", s.iri),
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Mapping to RDF
// ---------------------------------------------------------------------------

const fn dcat(l: &'static str) -> Name {
    ns::DCAT.name(l)
}
const fn dcatapit(l: &'static str) -> Name {
    ns::DCATAPIT.name(l)
}
const fn dct(l: &'static str) -> Name {
    ns::DCT.name(l)
}
const fn foaf(l: &'static str) -> Name {
    ns::FOAF.name(l)
}
const fn vcard(l: &'static str) -> Name {
    ns::VCARD.name(l)
}

fn lang_lit(s: &LangString) -> Literal {
    Literal::lang(s.value.clone(), s.lang.clone())
}

fn date_lit(d: &DateValue) -> Literal {
    match d {
        DateValue::Date(_) => Literal::typed(d.lexical(), xsd::DATE),
        DateValue::DateTime(_) => Literal::typed(d.lexical(), xsd::DATE_TIME),
    }
}

/// Groups of shared nodes, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Agent,
    ContactPoint,
    Licence,
    Standard,
    Location,
}

struct Mapper<'a> {
    cat: &'a Catalog,
    shared: BTreeMap<(Group, String), Node>,
}

impl<'a> Mapper<'a> {
    fn new(cat: &'a Catalog) -> Self {
        Mapper {
            cat,
            shared: BTreeMap::new(),
        }
    }

    fn run(mut self) -> Graph {
        let cat = self.cat;
        let mut nodes = Vec::new();

        let mut c = Node::iri(cat.iri());
        c.a(dcatapit("Catalog")).a(dcat("Catalog"));
        for t in &cat.titles {
            c.lit(dct("title"), lang_lit(t));
        }
        for t in &cat.descriptions {
            c.lit(dct("description"), lang_lit(t));
        }
        let publisher = self.agent(&cat.publisher);
        c.iri_prop(dct("publisher"), publisher);
        c.lit(
            dct("modified"),
            Literal::typed(cat.modified.to_string(), xsd::DATE),
        );
        if let Some(i) = cat.issued {
            c.lit(dct("issued"), Literal::typed(i.to_string(), xsd::DATE));
        }
        if let Some(h) = &cat.homepage {
            c.iri_prop(foaf("homepage"), h.as_str());
        }
        for l in &cat.languages {
            c.iri_prop(dct("language"), l.iri());
        }
        c.iri_prop(dcat("themeTaxonomy"), DataTheme::SCHEME);
        for d in &cat.datasets {
            c.iri_prop(dcat("dataset"), cat.dataset_iri(d));
        }
        nodes.push(c);

        for d in &cat.datasets {
            nodes.push(self.dataset(d));
            for dist in d.distributions() {
                nodes.push(self.distribution(d, dist));
            }
        }
        nodes.extend(self.shared.into_values());
        Graph { nodes }
    }

    fn agent(&mut self, a: &Agent) -> String {
        let iri = self.cat.agent_iri(a);
        self.shared.entry((Group::Agent, iri.clone())).or_insert_with(|| {
            let mut n = Node::iri(iri.clone());
            n.a(dcatapit("Agent"))
                .a(foaf("Agent"))
                .lit(dct("identifier"), Literal::plain(a.ipa_code.clone()))
                .lit(foaf("name"), Literal::plain(a.name.clone()));
            n
        });
        iri
    }

    fn contact_point(&mut self, cp: &ContactPoint) -> String {
        let iri = self.cat.contact_point_iri(cp);
        self.shared
            .entry((Group::ContactPoint, iri.clone()))
            .or_insert_with(|| {
                let mut n = Node::iri(iri.clone());
                n.a(dcatapit("Organization"))
                    .a(vcard("Organization"))
                    .a(vcard("Kind"))
                    .lit(vcard("fn"), Literal::plain(cp.name.clone()))
                    .iri_prop(vcard("hasEmail"), format!("mailto:{}", cp.email));
                if let Some(u) = &cp.url {
                    n.iri_prop(vcard("hasURL"), u.clone());
                }
                n
            });
        iri
    }

    fn licence(&mut self, l: Licence) -> &'static str {
        self.shared
            .entry((Group::Licence, l.iri().to_string()))
            .or_insert_with(|| {
                let mut n = Node::iri(l.iri());
                n.a(dcatapit("LicenseDocument"))
                    .a(dct("LicenseDocument"))
                    .iri_prop(dct("type"), l.licence_type().iri())
                    .lit(foaf("name"), Literal::lang(l.name_it(), "it"))
                    .lit(ns::OWL.name("versionInfo"), Literal::plain(l.version()));
                n
            });
        l.iri()
    }

    fn standard(&mut self, s: &Standard) -> String {
        self.shared
            .entry((Group::Standard, s.iri.clone()))
            .or_insert_with(|| {
                let mut n = Node::iri(s.iri.clone());
                n.a(dcatapit("Standard"))
                    .a(dct("Standard"))
                    .lit(dct("identifier"), Literal::plain(s.identifier.clone()));
                for t in &s.titles {
                    n.lit(dct("title"), lang_lit(t));
                }
                n
            });
        s.iri.clone()
    }

    fn location_iri(&mut self, iri: String) -> String {
        self.shared
            .entry((Group::Location, iri.clone()))
            .or_insert_with(|| {
                let mut n = Node::iri(iri.clone());
                n.a(dct("Location"));
                n
            });
        iri
    }

    fn dataset(&mut self, d: &Dataset) -> Node {
        let cat = self.cat;
        let mut n = Node::iri(cat.dataset_iri(d));
        n.a(dcatapit("Dataset")).a(dcat("Dataset"));
        n.lit(dct("identifier"), Literal::plain(d.identifier().to_string()));
        for t in d.titles() {
            n.lit(dct("title"), lang_lit(t));
        }
        for t in d.descriptions() {
            n.lit(dct("description"), lang_lit(t));
        }
        n.lit(dct("modified"), date_lit(&d.modified()));
        if let Some(i) = d.issued() {
            n.lit(dct("issued"), date_lit(&i));
        }
        for t in d.themes() {
            n.iri_prop(dcat("theme"), t.iri());
        }
        for s in d.subjects() {
            n.iri_prop(dct("subject"), s.iri());
        }
        let holder = self.agent(d.rights_holder());
        n.iri_prop(dct("rightsHolder"), holder);
        if let Some(p) = d.publisher() {
            let p = self.agent(p);
            n.iri_prop(dct("publisher"), p);
        }
        for cp in d.contact_points() {
            let cp = self.contact_point(cp);
            n.iri_prop(dcat("contactPoint"), cp);
        }
        n.iri_prop(dct("accrualPeriodicity"), d.accrual_periodicity().iri());
        for k in d.keywords() {
            n.lit(dcat("keyword"), lang_lit(k));
        }
        for s in d.spatial() {
            match s {
                Spatial::GeoNames(id) => {
                    let iri = self.location_iri(format!("https://sws.geonames.org/{id}/"));
                    n.iri_prop(dct("spatial"), iri);
                }
                Spatial::Iri(iri) => {
                    let iri = self.location_iri(iri.clone());
                    n.iri_prop(dct("spatial"), iri);
                }
                Spatial::Named(name) => {
                    let mut loc = Node::blank();
                    loc.a(dct("Location"))
                        .lit(ns::LOCN.name("geographicName"), lang_lit(name));
                    n.node(dct("spatial"), loc);
                }
            }
        }
        for t in d.temporal() {
            let mut p = Node::blank();
            p.a(dct("PeriodOfTime"));
            let start = Literal::typed(t.start.to_string(), xsd::DATE);
            let end = t.end.map(|e| Literal::typed(e.to_string(), xsd::DATE));
            p.lit(dcatapit("startDate"), start.clone());
            if let Some(e) = &end {
                p.lit(dcatapit("endDate"), e.clone());
            }
            p.lit(dcat("startDate"), start);
            if let Some(e) = end {
                p.lit(dcat("endDate"), e);
            }
            n.node(dct("temporal"), p);
        }
        for s in d.conforms_to() {
            let s = self.standard(s);
            n.iri_prop(dct("conformsTo"), s);
        }
        for l in d.languages() {
            n.iri_prop(dct("language"), l.iri());
        }
        if let Some(lp) = d.landing_page() {
            n.iri_prop(dcat("landingPage"), lp.as_str());
        }
        for dist in d.distributions() {
            n.iri_prop(dcat("distribution"), cat.distribution_iri(d, dist));
        }
        n
    }

    fn distribution(&mut self, d: &Dataset, dist: &Distribution) -> Node {
        let mut n = Node::iri(self.cat.distribution_iri(d, dist));
        n.a(dcatapit("Distribution")).a(dcat("Distribution"));
        for t in dist.titles() {
            n.lit(dct("title"), lang_lit(t));
        }
        for t in dist.descriptions() {
            n.lit(dct("description"), lang_lit(t));
        }
        n.iri_prop(dcat("accessURL"), dist.access_url().as_str());
        if let Some(u) = dist.download_url() {
            n.iri_prop(dcat("downloadURL"), u.as_str());
        }
        n.iri_prop(dct("format"), dist.format().iri());
        n.iri_prop(dcat("mediaType"), dist.media_type().iri());
        let lic = self.licence(dist.license());
        n.iri_prop(dct("license"), lic);
        if let Some(b) = dist.byte_size() {
            n.lit(
                dcat("byteSize"),
                Literal::typed(b.to_string(), xsd::NON_NEGATIVE_INTEGER),
            );
        }
        if let Some(c) = dist.checksum() {
            let mut cn = Node::blank();
            cn.a(ns::SPDX.name("Checksum"))
                .iri_prop(ns::SPDX.name("algorithm"), c.algorithm.iri())
                .lit(
                    ns::SPDX.name("checksumValue"),
                    Literal::typed(c.value.clone(), xsd::HEX_BINARY),
                );
            n.node(ns::SPDX.name("checksum"), cn);
        }
        if let Some(m) = dist.modified() {
            n.lit(dct("modified"), date_lit(&m));
        }
        n
    }
}
