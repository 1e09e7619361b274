//! `dcatapit:Dataset`.

use std::collections::BTreeSet;

use crate::distribution::{Distribution, DistributionBuilder};
use crate::error::{Issue, ValidationError};
use crate::model::{
    Agent, ContactPoint, DatasetId, DateValue, Iri, LangString, PeriodOfTime, Spatial, Standard,
};
use crate::validate::{self, Ctx};
use crate::vocab::{DataTheme, EuroVoc, Frequency, Language};

/// Builder for a [`Dataset`].
///
/// Mandatory (DCAT-AP_IT): `dct:identifier`, `dct:title`, `dct:description`,
/// `dct:modified`, `dcat:theme` (≥ 1), `dct:rightsHolder`,
/// `dct:accrualPeriodicity`, and — since this project publishes open data —
/// at least one `dcat:distribution`.
///
/// Project rule: the IPA code in the identifier must be the rights holder's
/// IPA code (`c_f205:stradario` is held by the agent `c_f205`).
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct DatasetBuilder {
    identifier: Option<String>,
    titles: Vec<LangString>,
    descriptions: Vec<LangString>,
    modified: Option<DateValue>,
    issued: Option<DateValue>,
    themes: Vec<DataTheme>,
    subjects: Vec<EuroVoc>,
    rights_holder: Option<Agent>,
    publisher: Option<Agent>,
    contact_points: Vec<ContactPoint>,
    accrual_periodicity: Option<Frequency>,
    keywords: Vec<LangString>,
    spatial: Vec<Spatial>,
    temporal: Vec<PeriodOfTime>,
    conforms_to: Vec<Standard>,
    languages: Vec<Language>,
    landing_page: Option<String>,
    distributions: Vec<DistributionBuilder>,
}

/// A validated DCAT-AP_IT dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    identifier: DatasetId,
    titles: Vec<LangString>,
    descriptions: Vec<LangString>,
    modified: DateValue,
    issued: Option<DateValue>,
    themes: Vec<DataTheme>,
    subjects: Vec<EuroVoc>,
    rights_holder: Agent,
    publisher: Option<Agent>,
    contact_points: Vec<ContactPoint>,
    accrual_periodicity: Frequency,
    keywords: Vec<LangString>,
    spatial: Vec<Spatial>,
    temporal: Vec<PeriodOfTime>,
    conforms_to: Vec<Standard>,
    languages: Vec<Language>,
    landing_page: Option<Iri>,
    distributions: Vec<Distribution>,
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

impl Dataset {
    /// Start building a dataset.
    pub fn builder() -> DatasetBuilder {
        DatasetBuilder::default()
    }

    /// `dct:identifier`.
    pub fn identifier(&self) -> &DatasetId {
        &self.identifier
    }
    /// `dct:title` values.
    pub fn titles(&self) -> &[LangString] {
        &self.titles
    }
    /// `dct:description` values.
    pub fn descriptions(&self) -> &[LangString] {
        &self.descriptions
    }
    /// `dct:modified`.
    pub fn modified(&self) -> DateValue {
        self.modified
    }
    /// `dct:issued`.
    pub fn issued(&self) -> Option<DateValue> {
        self.issued
    }
    /// `dcat:theme` values.
    pub fn themes(&self) -> &[DataTheme] {
        &self.themes
    }
    /// `dct:subject` values.
    pub fn subjects(&self) -> &[EuroVoc] {
        &self.subjects
    }
    /// `dct:rightsHolder`.
    pub fn rights_holder(&self) -> &Agent {
        &self.rights_holder
    }
    /// `dct:publisher`.
    pub fn publisher(&self) -> Option<&Agent> {
        self.publisher.as_ref()
    }
    /// `dcat:contactPoint` values.
    pub fn contact_points(&self) -> &[ContactPoint] {
        &self.contact_points
    }
    /// `dct:accrualPeriodicity`.
    pub fn accrual_periodicity(&self) -> Frequency {
        self.accrual_periodicity
    }
    /// `dcat:keyword` values.
    pub fn keywords(&self) -> &[LangString] {
        &self.keywords
    }
    /// `dct:spatial` values.
    pub fn spatial(&self) -> &[Spatial] {
        &self.spatial
    }
    /// `dct:temporal` values.
    pub fn temporal(&self) -> &[PeriodOfTime] {
        &self.temporal
    }
    /// `dct:conformsTo` values.
    pub fn conforms_to(&self) -> &[Standard] {
        &self.conforms_to
    }
    /// `dct:language` values.
    pub fn languages(&self) -> &[Language] {
        &self.languages
    }
    /// `dcat:landingPage`.
    pub fn landing_page(&self) -> Option<&Iri> {
        self.landing_page.as_ref()
    }
    /// `dcat:distribution` values.
    pub fn distributions(&self) -> &[Distribution] {
        &self.distributions
    }
}

impl DatasetBuilder {
    /// `dct:identifier` (mandatory), `<IPA code>:<local id>`.
    pub fn identifier(mut self, id: impl Into<String>) -> Self {
        self.identifier = Some(id.into());
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
    /// `dct:modified` (mandatory).
    pub fn modified(mut self, when: impl Into<DateValue>) -> Self {
        self.modified = Some(when.into());
        self
    }
    /// `dct:issued` (optional; not after `dct:modified`).
    pub fn issued(mut self, when: impl Into<DateValue>) -> Self {
        self.issued = Some(when.into());
        self
    }
    /// Add a `dcat:theme` (mandatory, ≥ 1).  Duplicates are ignored.
    pub fn theme(mut self, theme: DataTheme) -> Self {
        push_unique(&mut self.themes, theme);
        self
    }
    /// Add a `dct:subject` (EuroVoc sub-theme, recommended).  Duplicates are ignored.
    pub fn subject(mut self, subject: EuroVoc) -> Self {
        push_unique(&mut self.subjects, subject);
        self
    }
    /// `dct:rightsHolder` (mandatory): the administration that owns the data.
    pub fn rights_holder(mut self, agent: Agent) -> Self {
        self.rights_holder = Some(agent);
        self
    }
    /// `dct:publisher` (recommended).
    pub fn publisher(mut self, agent: Agent) -> Self {
        self.publisher = Some(agent);
        self
    }
    /// Add a `dcat:contactPoint` (recommended).  Duplicates are ignored.
    pub fn contact_point(mut self, cp: ContactPoint) -> Self {
        push_unique(&mut self.contact_points, cp);
        self
    }
    /// `dct:accrualPeriodicity` (mandatory).
    pub fn accrual_periodicity(mut self, f: Frequency) -> Self {
        self.accrual_periodicity = Some(f);
        self
    }
    /// Add a `dcat:keyword`.  Exact duplicates are ignored.
    pub fn keyword(mut self, lang: &str, value: impl Into<String>) -> Self {
        push_unique(&mut self.keywords, LangString::new(lang, value));
        self
    }
    /// Add a `dct:spatial`.  Duplicates are ignored.
    pub fn spatial(mut self, s: Spatial) -> Self {
        push_unique(&mut self.spatial, s);
        self
    }
    /// Add a `dct:temporal`.  Duplicates are ignored.
    pub fn temporal(mut self, p: PeriodOfTime) -> Self {
        push_unique(&mut self.temporal, p);
        self
    }
    /// Add a `dct:conformsTo`.  Duplicates are ignored.
    pub fn conforms_to(mut self, s: Standard) -> Self {
        push_unique(&mut self.conforms_to, s);
        self
    }
    /// Add a `dct:language`.  Duplicates are ignored.
    pub fn language(mut self, l: Language) -> Self {
        push_unique(&mut self.languages, l);
        self
    }
    /// `dcat:landingPage`.
    pub fn landing_page(mut self, url: impl Into<String>) -> Self {
        self.landing_page = Some(url.into());
        self
    }
    /// Add a `dcat:distribution` (≥ 1 for open data).
    pub fn distribution(mut self, d: DistributionBuilder) -> Self {
        self.distributions.push(d);
        self
    }

    pub(crate) fn label(&self, index: Option<usize>) -> String {
        match (&self.identifier, index) {
            (Some(id), _) => format!("dataset {id:?}"),
            (None, Some(i)) => format!("dataset #{}", i + 1),
            (None, None) => "dataset".to_string(),
        }
    }

    /// Validate, collecting every problem of the dataset and its distributions.
    pub fn build(self) -> Result<Dataset, ValidationError> {
        let mut issues: Vec<Issue> = Vec::new();
        let mut ctx = Ctx::new(self.label(None), &mut issues);
        match self.validate(&mut ctx) {
            Some(d) => Ok(d),
            None => Err(ValidationError::new(issues)),
        }
    }

    pub(crate) fn validate(self, ctx: &mut Ctx<'_>) -> Option<Dataset> {
        let before = ctx.issues.len();

        let identifier = match &self.identifier {
            Some(id) => ctx.check("dct:identifier", DatasetId::parse(id)),
            None => {
                ctx.missing("dct:identifier");
                None
            }
        };
        validate::lang_strings(ctx, "dct:title", &self.titles, true, true);
        validate::lang_strings(ctx, "dct:description", &self.descriptions, true, true);
        if self.modified.is_none() {
            ctx.missing("dct:modified");
        }
        if let (Some(issued), Some(modified)) = (self.issued, self.modified) {
            if issued.date() > modified.date() {
                ctx.invalid(
                    "dct:issued",
                    format!(
                        "issued {} is after modified {}",
                        issued.lexical(),
                        modified.lexical()
                    ),
                );
            }
        }
        if self.themes.is_empty() {
            ctx.missing("dcat:theme");
        }
        match &self.rights_holder {
            Some(a) => {
                validate::agent(ctx, "dct:rightsHolder", a);
                if let Some(id) = &identifier {
                    if id.ipa_code() != a.ipa_code {
                        ctx.invalid(
                            "dct:identifier",
                            format!(
                                "IPA code {:?} of the identifier differs from the rights holder's {:?}",
                                id.ipa_code(),
                                a.ipa_code
                            ),
                        );
                    }
                }
            }
            None => ctx.missing("dct:rightsHolder"),
        }
        if let Some(p) = &self.publisher {
            validate::agent(ctx, "dct:publisher", p);
        }
        for cp in &self.contact_points {
            validate::contact_point(ctx, cp);
        }
        if self.accrual_periodicity.is_none() {
            ctx.missing("dct:accrualPeriodicity");
        }
        for k in &self.keywords {
            ctx.check("dcat:keyword", validate::check_lang_tag(&k.lang));
            ctx.check("dcat:keyword", validate::check_keyword(&k.value));
        }
        for s in &self.spatial {
            validate::spatial(ctx, s);
        }
        for t in &self.temporal {
            if t.end.is_some_and(|e| e < t.start) {
                ctx.invalid("dct:temporal", format!("period ends before it starts ({t:?})"));
            }
        }
        for s in &self.conforms_to {
            validate::standard(ctx, s);
        }
        let landing_page = self
            .landing_page
            .as_deref()
            .and_then(|u| ctx.http_iri("dcat:landingPage", u));

        if self.distributions.is_empty() {
            ctx.missing("dcat:distribution");
        }
        let mut ids = BTreeSet::new();
        let mut distributions = Vec::with_capacity(self.distributions.len());
        for d in self.distributions {
            if !ids.insert(d.id().to_string()) {
                ctx.invalid(
                    "dcat:distribution",
                    format!("duplicate distribution id {:?}", d.id()),
                );
            }
            let label = format!("distribution {:?}", d.id());
            let mut child = ctx.child(&label);
            if let Some(d) = d.validate(&mut child) {
                distributions.push(d);
            }
        }

        if ctx.issues.len() > before {
            return None;
        }
        Some(Dataset {
            identifier: identifier?,
            titles: self.titles,
            descriptions: self.descriptions,
            modified: self.modified?,
            issued: self.issued,
            themes: self.themes,
            subjects: self.subjects,
            rights_holder: self.rights_holder?,
            publisher: self.publisher,
            contact_points: self.contact_points,
            accrual_periodicity: self.accrual_periodicity?,
            keywords: self.keywords,
            spatial: self.spatial,
            temporal: self.temporal,
            conforms_to: self.conforms_to,
            languages: self.languages,
            landing_page,
            distributions,
        })
    }
}
