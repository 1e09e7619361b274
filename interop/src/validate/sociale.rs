//! Validation of one row of a Cartella Sociale export: a prestazione, a SINA
//! assessment or a SINBA case, depending on the source's [`Kind`].
//!
//! This is the ingestion-level check: every value is readable and
//! plausible (codice fiscale, dates, amounts with decimal comma, codice
//! prestazione, DSU protocol) and the row is consistent enough to be
//! stored. Errors reject the row (quarantine, to be fixed and resent);
//! warnings keep it and are reported. The INPS flow rules proper (what a
//! flow must contain to be accepted) are checked again by the SIUSS stage.

use super::number::{self, NumberFormat};
use super::{common, date, text, Issue, Repair, Severity};
use crate::schema::{self, FieldType, Vocabulary};
use crate::{cf, prestazioni, vocab};
use chrono::{Datelike, Days, NaiveDate};

macro_rules! targets {
    ($($variant:ident => $name:literal,)*) => {
        /// The fields a source column may be mapped to (the mappable fields
        /// of the three servizi sociali entities), in a fixed order so that
        /// rows are plain arrays.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Target {
            $($variant,)*
        }

        impl Target {
            pub const ALL: [Target; [$($name,)*].len()] = [$(Target::$variant,)*];

            /// Schema field name (mapping target name).
            pub fn name(self) -> &'static str {
                match self {
                    $(Target::$variant => $name,)*
                }
            }
        }
    };
}

targets! {
    Identifier => "identifier",
    TaxCode => "tax_code",
    // prestazione_sociale
    Module => "module",
    ServiceCode => "service_code",
    ServiceName => "service_name",
    BenefitCharacter => "benefit_character",
    MeansTest => "means_test",
    DsuProtocol => "dsu_protocol",
    DsuYear => "dsu_year",
    DsuDate => "dsu_date",
    ApplicationProtocol => "application_protocol",
    EventDate => "event_date",
    StartDate => "start_date",
    EndDate => "end_date",
    DeliveryDate => "delivery_date",
    Amount => "amount",
    MonthlyAmount => "monthly_amount",
    Months => "months",
    EntityShare => "entity_share",
    UserShare => "user_share",
    HealthServiceShare => "health_service_share",
    MonthlyHours => "monthly_hours",
    TakenInCharge => "taken_in_charge",
    UserArea => "user_area",
    // valutazione_sina
    AssessmentDate => "assessment_date",
    ServiceIdentifier => "service_identifier",
    Mobility => "mobility",
    DailyLivingActivities => "daily_living_activities",
    CognitiveDisorders => "cognitive_disorders",
    BehaviouralDisorders => "behavioural_disorders",
    HealthCareNeeds => "health_care_needs",
    IncomeArea => "income_area",
    SupportNetwork => "support_network",
    AssessmentSource => "assessment_source",
    AssessmentTool => "assessment_tool",
    DisabilitySource => "disability_source",
    CivilInvalidity => "civil_invalidity",
    NeededServices => "needed_services",
    // caso_sinba
    CaseOpenDate => "case_open_date",
    CaseCloseDate => "case_close_date",
    FirstReportDate => "first_report_date",
    ReportSource => "report_source",
    UnaccompaniedForeignMinor => "unaccompanied_foreign_minor",
    MinorCondition => "minor_condition",
    LivingPlace => "living_place",
    SchoolAttended => "school_attended",
    WorkCondition => "work_condition",
    Disability => "disability",
    MinorAssessment => "minor_assessment",
    FamilyAssessment => "family_assessment",
    JudicialReport => "judicial_report",
    JudicialMeasure => "judicial_measure",
    JudicialMeasureDate => "judicial_measure_date",
    ClosingReason => "closing_reason",
    Services => "services",
    FamilyComposition => "family_composition",
    IseeBand => "isee_band",
    IseeHouseholdMembers => "isee_household_members",
}

impl Target {
    pub const COUNT: usize = Self::ALL.len();

    pub fn from_name(name: &str) -> Option<Target> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    fn field(self) -> Option<&'static schema::Field> {
        schema::sociale_field(self.name())
    }

    /// Italian title of the field (from the schema), for messages.
    pub fn title(self) -> &'static str {
        self.field().map_or(self.name(), |f| f.title)
    }

    /// Whether the target holds a date (so a mapping may give a date format).
    pub fn is_date(self) -> bool {
        self.field().is_some_and(|f| f.ty == FieldType::Date)
    }

    /// Whether the target holds a number (read with the source's decimal
    /// comma and thousands separator).
    pub fn is_number(self) -> bool {
        self.field()
            .is_some_and(|f| matches!(f.ty, FieldType::Number | FieldType::Integer))
    }
}

/// What a `[[sociale]]` source exports, and so which table its rows go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Prestazioni erogate → `prestazione_sociale`.
    Prestazioni,
    /// SINA assessments → `valutazione_sina`.
    Sina,
    /// SINBA cases → `caso_sinba`.
    Sinba,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Prestazioni, Kind::Sina, Kind::Sinba];

    /// Name in source definitions (`kind = "prestazioni"`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Prestazioni => "prestazioni",
            Kind::Sina => "sina",
            Kind::Sinba => "sinba",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The entity (store table) the rows go to.
    pub fn entity(self) -> &'static str {
        match self {
            Kind::Prestazioni => "prestazione_sociale",
            Kind::Sina => "valutazione_sina",
            Kind::Sinba => "caso_sinba",
        }
    }

    /// Whether a source of this kind may map a column to `t`.
    pub fn accepts(self, t: Target) -> bool {
        schema::entity(self.entity())
            .and_then(|e| e.field(t.name()))
            .is_some_and(|f| f.mappable)
    }

    /// The targets a source of this kind may map.
    pub fn targets(self) -> Vec<Target> {
        Target::ALL.into_iter().filter(|t| self.accepts(*t)).collect()
    }

    /// Targets every source of this kind must map: the entity's required
    /// fields, except `module` (a prestazioni source may give it once for
    /// the whole source) and `benefit_character` (inferred from the dates
    /// when not exported).
    pub fn required(self) -> Vec<Target> {
        self.targets()
            .into_iter()
            .filter(|t| t.field().is_some_and(|f| f.required))
            .filter(|t| !matches!(t, Target::Module | Target::BenefitCharacter))
            .collect()
    }
}

/// One mapped input row: the raw value for each target (after value
/// recoding by the mapping), `None` for an empty or unmapped cell.
pub type Input = [Option<String>; Target::COUNT];

/// An input row with every cell empty.
pub fn empty_input() -> Input {
    std::array::from_fn(|_| None)
}

/// A valid prestazione.
#[derive(Debug, Clone, PartialEq)]
pub struct PrestazioneRecord {
    pub identifier: String,
    pub tax_code: String,
    pub module: String,
    pub service_code: String,
    pub service_name: Option<String>,
    /// `1` periodica, `2` occasionale.
    pub benefit_character: String,
    pub means_test: String,
    pub dsu_protocol: Option<String>,
    pub dsu_year: Option<i32>,
    pub dsu_date: Option<NaiveDate>,
    pub application_protocol: String,
    pub event_date: Option<NaiveDate>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub delivery_date: Option<NaiveDate>,
    pub amount: Option<f64>,
    pub monthly_amount: Option<f64>,
    pub months: Option<i32>,
    pub entity_share: Option<f64>,
    pub user_share: Option<f64>,
    pub health_service_share: Option<f64>,
    pub monthly_hours: Option<f64>,
    pub taken_in_charge: String,
    pub user_area: Option<String>,
}

/// A valid SINA assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinaRecord {
    pub identifier: String,
    pub tax_code: String,
    pub assessment_date: NaiveDate,
    pub service_identifier: Option<String>,
    pub mobility: String,
    pub daily_living_activities: String,
    pub cognitive_disorders: Option<String>,
    pub behavioural_disorders: String,
    pub health_care_needs: Option<String>,
    pub income_area: String,
    pub support_network: String,
    pub assessment_source: String,
    pub assessment_tool: String,
    pub disability_source: Option<String>,
    /// `;`-separated InvCiv codes.
    pub civil_invalidity: Option<String>,
    /// `;`-separated codici prestazione.
    pub needed_services: Option<String>,
}

/// A valid SINBA case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinbaRecord {
    pub identifier: String,
    pub tax_code: String,
    pub case_open_date: NaiveDate,
    pub case_close_date: Option<NaiveDate>,
    /// First day of the month of the first report.
    pub first_report_date: NaiveDate,
    pub report_source: String,
    pub unaccompanied_foreign_minor: String,
    pub minor_condition: String,
    pub living_place: String,
    pub school_attended: String,
    pub work_condition: String,
    pub disability: String,
    pub minor_assessment: String,
    pub family_assessment: String,
    pub judicial_report: String,
    pub judicial_measure: String,
    pub judicial_measure_date: Option<NaiveDate>,
    pub closing_reason: Option<String>,
    /// `;`-separated codici prestazione.
    pub services: Option<String>,
    /// `;`-separated ComposizioneFamiglia codes.
    pub family_composition: Option<String>,
    pub isee_band: Option<String>,
    pub isee_household_members: Option<i32>,
}

/// A valid, normalised row.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Prestazione(PrestazioneRecord),
    Sina(SinaRecord),
    Sinba(SinbaRecord),
}

impl Record {
    pub fn identifier(&self) -> &str {
        match self {
            Record::Prestazione(r) => &r.identifier,
            Record::Sina(r) => &r.identifier,
            Record::Sinba(r) => &r.identifier,
        }
    }

    pub fn tax_code(&self) -> &str {
        match self {
            Record::Prestazione(r) => &r.tax_code,
            Record::Sina(r) => &r.tax_code,
            Record::Sinba(r) => &r.tax_code,
        }
    }

    /// What makes two records the same fact whatever their identifiers (a
    /// prestazione entered twice): beneficiary, code, dates and amounts of a
    /// prestazione; beneficiary and date of an assessment; beneficiary and
    /// opening date of a SINBA case.
    pub fn duplicate_key(&self) -> String {
        match self {
            Record::Prestazione(r) => format!(
                "P|{}|{}|{:?}|{:?}|{:?}|{:?}|{:?}",
                r.tax_code,
                r.service_code,
                r.start_date,
                r.end_date,
                r.delivery_date,
                r.amount,
                r.monthly_amount
            ),
            Record::Sina(r) => format!("S|{}|{}", r.tax_code, r.assessment_date),
            Record::Sinba(r) => format!("B|{}|{}", r.tax_code, r.case_open_date),
        }
    }
}

/// What the validators need besides the row.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub kind: Kind,
    /// Dates of facts (deliveries, assessments, DSU) after this are in the
    /// future.
    pub today: NaiveDate,
    /// Date formats declared by the mapping, per target.
    pub date_formats: [Option<&'a str>; Target::COUNT],
    /// How the source writes numbers.
    pub numbers: NumberFormat,
    /// The module of every row of a prestazioni source that does not map a
    /// `module` column.
    pub module: Option<&'a str>,
}

impl<'a> Context<'a> {
    /// A context with no declared formats.
    pub fn new(kind: Kind, today: NaiveDate) -> Context<'a> {
        Context {
            kind,
            today,
            date_formats: [None; Target::COUNT],
            numbers: NumberFormat::default(),
            module: None,
        }
    }
}

/// The result of validating one row.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The normalised record, when no issue is an error.
    pub record: Option<Record>,
    pub issues: Vec<Issue>,
    pub repairs: Vec<Repair>,
}

impl Outcome {
    pub fn is_rejected(&self) -> bool {
        self.record.is_none()
    }
}

/// Earliest date accepted for a prestazione, an assessment or a case: an
/// earlier one is a typing mistake (a year `0224`, `1924`).
pub fn min_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid constant date")
}

/// Earliest DSU: the ISEE reform (DPCM 159/2013) started on 1 January 2015.
pub fn min_dsu_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2015, 1, 1).expect("valid constant date")
}

/// Validates and normalises one row of a source of `ctx.kind`.
pub fn validate(input: &Input, ctx: &Context<'_>) -> Outcome {
    let mut v = Validator {
        input,
        ctx,
        issues: Vec::new(),
        repairs: Vec::new(),
    };
    let record = match ctx.kind {
        Kind::Prestazioni => v.prestazione().map(Record::Prestazione),
        Kind::Sina => v.sina().map(Record::Sina),
        Kind::Sinba => v.sinba().map(Record::Sinba),
    };
    let has_error = v.issues.iter().any(|i| i.severity == Severity::Error);
    Outcome {
        record: if has_error { None } else { record },
        issues: v.issues,
        repairs: v.repairs,
    }
}

/// How far in the future a date may be.
#[derive(Clone, Copy)]
enum Future {
    /// Not after today (a fact: a delivery, an assessment, a DSU).
    Never,
    /// Up to this many days ahead (a planned start or end).
    Days(u64),
}

struct Validator<'i, 'c> {
    input: &'i Input,
    ctx: &'c Context<'c>,
    issues: Vec<Issue>,
    repairs: Vec<Repair>,
}

fn fmt_amount(v: f64) -> String {
    // Italian style for stewards: 1.234,50
    let cents = (v * 100.0).round() as i64;
    let (sign, cents) = if cents < 0 { ("-", -cents) } else { ("", cents) };
    let int = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped},{:02}", cents % 100)
}

impl Validator<'_, '_> {
    fn raw(&self, t: Target) -> Option<&str> {
        self.input[t as usize].as_deref()
    }

    fn blank(&self, t: Target) -> bool {
        self.raw(t).is_none_or(|v| v.trim().is_empty())
    }

    fn error(&mut self, t: Target, code: &'static str, message: impl Into<String>, value: Option<&str>) {
        self.issues.push(Issue::error(t.name(), code, message, value));
    }

    fn warning(&mut self, t: Target, code: &'static str, message: impl Into<String>, value: Option<&str>) {
        self.issues.push(Issue::warning(t.name(), code, message, value));
    }

    fn text(&mut self, t: Target) -> Option<String> {
        let raw = self.input[t as usize].as_deref()?;
        common::clean_text(t.name(), t.title(), raw, &mut self.issues, &mut self.repairs)
    }

    fn upper(&mut self, t: Target) -> Option<String> {
        let v = self.text(t)?;
        Some(text::upper(t.name(), v, &mut self.repairs))
    }

    fn required<T>(&mut self, t: Target, v: Option<T>) -> Option<T> {
        if v.is_none() && self.blank(t) {
            self.error(
                t,
                "required_missing",
                format!("Il campo obbligatorio «{}» è vuoto", t.title()),
                None,
            );
        }
        v
    }

    /// A coded value among `allowed` (numeric codes written `01` are
    /// accepted and normalised).
    fn code(&mut self, t: Target, allowed: &[&str], meaning: &str) -> Option<String> {
        let v = self.upper(t)?;
        let normalised = if v.len() > 1 && v.starts_with('0') && v.chars().all(|c| c.is_ascii_digit()) {
            v.trim_start_matches('0').to_string()
        } else {
            v.clone()
        };
        if allowed.contains(&normalised.as_str()) {
            if normalised != v {
                self.repairs.push(Repair {
                    field: t.name(),
                    kind: "zero_padding",
                });
            }
            Some(normalised)
        } else {
            self.error(
                t,
                "enum_invalid",
                format!("{}: codice «{v}» non previsto ({meaning})", t.title()),
                Some(&v),
            );
            None
        }
    }

    fn required_code(&mut self, t: Target, allowed: &[&str], meaning: &str) -> Option<String> {
        let v = self.code(t, allowed, meaning);
        self.required(t, v)
    }

    fn date(&mut self, t: Target, min: NaiveDate, future: Future) -> Option<NaiveDate> {
        let raw = self.text(t)?;
        let format = self.ctx.date_formats[t as usize];
        let parsed = date::parse(&raw, format).or_else(|| {
            // SINBA dates are month/year (MM/AAAA): the first of the month.
            (t == Target::FirstReportDate).then(|| month_year(&raw)).flatten()
        });
        let Some(d) = parsed else {
            let expected = format
                .map(|f| format!(" (formato atteso {f})"))
                .unwrap_or_default();
            self.error(
                t,
                "date_invalid",
                format!("«{}»: data «{raw}» non valida{expected}", t.title()),
                Some(&raw),
            );
            return None;
        };
        let latest = match future {
            Future::Never => self.ctx.today,
            Future::Days(n) => self.ctx.today + Days::new(n),
        };
        if d > latest {
            let what = match future {
                Future::Never => "è nel futuro".to_string(),
                Future::Days(n) => format!("è oltre {n} giorni nel futuro (anno sbagliato?)"),
            };
            self.error(
                t,
                "date_in_future",
                format!("«{}»: la data {} {what}", t.title(), d.format("%d/%m/%Y")),
                Some(&raw),
            );
            return None;
        }
        if d < min {
            self.error(
                t,
                "date_out_of_range",
                format!(
                    "«{}»: la data {} è precedente al {} (anno sbagliato?)",
                    t.title(),
                    d.format("%d/%m/%Y"),
                    min.format("%d/%m/%Y")
                ),
                Some(&raw),
            );
            return None;
        }
        Some(d)
    }

    /// A decimal number in the source's convention, rounded to cents;
    /// `positive`: it must be greater than zero, otherwise not negative.
    fn amount(&mut self, t: Target, positive: bool) -> Option<f64> {
        let raw = self.text(t)?;
        let body = match number::strip_currency(&raw) {
            Some(b) => {
                self.repairs.push(Repair {
                    field: t.name(),
                    kind: "currency_symbol",
                });
                b
            }
            None => raw.clone(),
        };
        let Some(v) = number::parse_decimal(&body, self.ctx.numbers) else {
            let convention = if self.ctx.numbers.decimal_comma {
                "virgola decimale, es. 1.234,50"
            } else {
                "punto decimale, es. 1234.50"
            };
            self.error(
                t,
                "amount_invalid",
                format!(
                    "«{}»: «{raw}» non è un numero nel formato della sorgente ({convention}; verificare \
                     `decimal_comma` e `thousands_separator` nella definizione)",
                    t.title()
                ),
                Some(&raw),
            );
            return None;
        };
        let v = number::cents(v);
        if positive && v <= 0.0 {
            self.error(
                t,
                "amount_not_positive",
                format!(
                    "«{}»: l'importo deve essere maggiore di zero, trovato {}",
                    t.title(),
                    fmt_amount(v)
                ),
                Some(&raw),
            );
            return None;
        }
        if v < 0.0 {
            self.error(
                t,
                "amount_negative",
                format!(
                    "«{}»: il valore non può essere negativo, trovato {}",
                    t.title(),
                    fmt_amount(v)
                ),
                Some(&raw),
            );
            return None;
        }
        Some(v)
    }

    /// A whole number in `range`.
    fn integer(&mut self, t: Target, range: std::ops::RangeInclusive<i32>) -> Option<i32> {
        let raw = self.text(t)?;
        // Spreadsheets write whole numbers as `3` or `3.0`.
        let n = raw.parse::<i32>().ok().or_else(|| {
            raw.strip_suffix(".0")
                .or_else(|| raw.strip_suffix(",0"))
                .and_then(|s| s.parse().ok())
        });
        match n {
            Some(n) if range.contains(&n) => Some(n),
            Some(n) => {
                self.error(
                    t,
                    "number_out_of_range",
                    format!(
                        "«{}»: {n} fuori dall'intervallo ammesso ({}–{})",
                        t.title(),
                        range.start(),
                        range.end()
                    ),
                    Some(&raw),
                );
                None
            }
            None => {
                self.error(
                    t,
                    "integer_invalid",
                    format!("«{}»: «{raw}» non è un numero intero", t.title()),
                    Some(&raw),
                );
                None
            }
        }
    }

    /// A list of values (separated by `;`, `,`, `|` or spaces), each checked
    /// by `item`; stored `;`-separated. `None` if empty or any item is bad.
    fn list(&mut self, t: Target, item: impl Fn(&str) -> Option<String>, meaning: &str) -> Option<String> {
        let raw = self.upper(t)?;
        let mut out = Vec::new();
        let mut bad = Vec::new();
        let items: Vec<&str> = raw
            .split([';', ',', '|', ' ', '/'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        for i in &items {
            match item(i) {
                Some(v) => {
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
                None => bad.push(*i),
            }
        }
        if !bad.is_empty() {
            self.error(
                t,
                if matches!(t, Target::NeededServices | Target::Services) {
                    "service_code_invalid"
                } else {
                    "enum_invalid"
                },
                format!("{}: {} non previsti ({meaning})", t.title(), bad.join(", ")),
                Some(&raw),
            );
            return None;
        }
        let joined = out.join(";");
        if joined != raw {
            self.repairs.push(Repair {
                field: t.name(),
                kind: "list_separator",
            });
        }
        (!joined.is_empty()).then_some(joined)
    }

    fn tax_code(&mut self) -> Option<(String, cf::CfInfo)> {
        let code = self.upper(Target::TaxCode);
        let code = self.required(Target::TaxCode, code)?;
        common::tax_code("tax_code", &code, &mut self.issues, &mut self.repairs)
    }

    fn identifier(&mut self) -> Option<String> {
        let id = self.text(Target::Identifier);
        self.required(Target::Identifier, id)
    }

    /// A codice prestazione: malformed is an error, well-formed but not in
    /// the INPS table a warning.
    fn service_code(&mut self, t: Target, code: &str) -> bool {
        if !prestazioni::is_well_formed(code) {
            self.error(
                t,
                "service_code_invalid",
                format!(
                    "Codice prestazione «{code}» non valido: atteso il codice INPS nella forma A1.04 o A1.05.01 \
                     (tabella SIUSS)"
                ),
                Some(code),
            );
            return false;
        }
        if prestazioni::codice(code).is_none() {
            self.warning(
                t,
                "service_code_unknown",
                format!("Codice prestazione «{code}» assente dalla tabella INPS nota: verificarlo prima dell'invio"),
                Some(code),
            );
        }
        true
    }

    fn module(&mut self) -> Option<String> {
        let raw = match self.text(Target::Module) {
            Some(v) => v,
            None => {
                let fixed = self.ctx.module.map(str::to_string);
                return self.required(Target::Module, fixed);
            }
        };
        if vocab::contains(Vocabulary::SocialModule, &raw) {
            return Some(raw);
        }
        // The Italian label, or the code in another case or with spaces.
        let key: String = raw
            .to_lowercase()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .collect();
        let found = vocab::SOCIAL_MODULES
            .iter()
            .find(|(code, label)| *code == key || label.eq_ignore_ascii_case(&raw));
        match found {
            Some((code, _)) => {
                self.repairs.push(Repair {
                    field: "module",
                    kind: "module_label",
                });
                Some((*code).to_string())
            }
            None => {
                let known: Vec<&str> = vocab::SOCIAL_MODULES.iter().map(|(c, _)| *c).collect();
                self.error(
                    Target::Module,
                    "enum_invalid",
                    format!("Modulo «{raw}» non previsto: ammessi {}", known.join(", ")),
                    Some(&raw),
                );
                None
            }
        }
    }

    fn prestazione(&mut self) -> Option<PrestazioneRecord> {
        let identifier = self.identifier();
        let tax_code = self.tax_code().map(|(c, _)| c);
        let module = self.module();

        let service_code = self.upper(Target::ServiceCode);
        let service_code = self
            .required(Target::ServiceCode, service_code)
            .filter(|c| self.service_code(Target::ServiceCode, c));
        let service_name = self.text(Target::ServiceName).or_else(|| {
            service_code
                .as_deref()
                .and_then(prestazioni::codice)
                .and_then(|c| c.label)
                .map(str::to_string)
        });

        let means_test = self.required_code(
            Target::MeansTest,
            &["1", "2", "3", "4"],
            "PresenzaProvaMezzi: 1 ISEE, 2 altra prova dei mezzi, 3 ISEE non applicata al beneficiario, 4 nessuna",
        );
        let application_protocol = self.text(Target::ApplicationProtocol);
        let application_protocol = self.required(Target::ApplicationProtocol, application_protocol);

        let event_date = self.date(Target::EventDate, min_date(), Future::Days(366));
        let start_date = self.date(Target::StartDate, min_date(), Future::Days(366));
        let end_date = self.date(Target::EndDate, min_date(), Future::Days(3 * 366));
        let delivery_date = self.date(Target::DeliveryDate, min_date(), Future::Never);

        let character = match self.code(
            Target::BenefitCharacter,
            &["1", "2"],
            "1 periodica, 2 occasionale",
        ) {
            Some(c) => Some(c),
            None if self.blank(Target::BenefitCharacter) => {
                // Not exported: a start date means periodic, a delivery date one-off.
                let starts = !self.blank(Target::StartDate);
                let delivered = !self.blank(Target::DeliveryDate);
                let inferred = match (starts, delivered) {
                    (true, false) => Some("1"),
                    (false, true) => Some("2"),
                    _ => None,
                };
                if inferred.is_some() {
                    self.repairs.push(Repair {
                        field: "benefit_character",
                        kind: "benefit_character_inferred",
                    });
                } else {
                    self.error(
                        Target::BenefitCharacter,
                        "required_missing",
                        "Carattere della prestazione assente e non deducibile dalle date: indicare 1 (periodica) \
                         o 2 (occasionale)",
                        None,
                    );
                }
                inferred.map(str::to_string)
            }
            None => None,
        };

        let amount = self.amount(Target::Amount, true);
        let monthly_amount = self.amount(Target::MonthlyAmount, true);
        let months = self.integer(Target::Months, 1..=12);
        let entity_share = self.amount(Target::EntityShare, false);
        let user_share = self.amount(Target::UserShare, false);
        let health_service_share = self.amount(Target::HealthServiceShare, false);
        let monthly_hours = self.amount(Target::MonthlyHours, false);
        let taken_in_charge =
            self.required_code(Target::TakenInCharge, &["1", "2"], "PresaCarico: 1 sì, 2 no");
        let user_area = self.code(
            Target::UserArea,
            &["1", "2", "3"],
            "AreaUtenza: 1 famiglia e minori, 2 disabilità e non autosufficienza, 3 povertà ed esclusione sociale",
        );

        let (dsu_protocol, dsu_year, dsu_date) = self.dsu(start_date.or(delivery_date));

        // What the character requires.
        let economic = service_code.as_deref().is_some_and(prestazioni::is_economic);
        match character.as_deref() {
            Some("1") => {
                if self.blank(Target::StartDate) {
                    self.error(
                        Target::StartDate,
                        "start_date_missing",
                        "Prestazione periodica senza data di inizio",
                        None,
                    );
                }
                if self.blank(Target::MonthlyAmount) {
                    self.amount_missing(Target::MonthlyAmount, economic, "periodica", "l'importo mensile");
                }
                if let (Some(s), Some(e)) = (start_date, end_date) {
                    if e < s {
                        self.error(
                            Target::EndDate,
                            "end_before_start",
                            format!(
                                "La data di fine {} precede la data di inizio {}",
                                e.format("%d/%m/%Y"),
                                s.format("%d/%m/%Y")
                            ),
                            Some(&e.to_string()),
                        );
                    } else if e.year() != s.year() {
                        self.warning(
                            Target::EndDate,
                            "period_spans_years",
                            format!(
                                "La prestazione va dal {} al {}: per l'INPS sarà divisa per anno solare",
                                s.format("%d/%m/%Y"),
                                e.format("%d/%m/%Y")
                            ),
                            Some(&e.to_string()),
                        );
                    }
                }
            }
            Some("2") => {
                if self.blank(Target::DeliveryDate) {
                    self.error(
                        Target::DeliveryDate,
                        "delivery_date_missing",
                        "Prestazione occasionale senza data di erogazione",
                        None,
                    );
                }
                if self.blank(Target::Amount) {
                    self.amount_missing(Target::Amount, economic, "occasionale", "l'importo");
                }
            }
            _ => {}
        }

        // Quote: ente + utente + SSN = the amount they split.
        let reference = match character.as_deref() {
            Some("1") => monthly_amount,
            _ => amount,
        };
        let shares = [entity_share, user_share, health_service_share];
        if let (true, Some(total)) = (shares.iter().any(Option::is_some), reference) {
            let sum: f64 = shares.iter().flatten().sum();
            if (sum - total).abs() > 0.01 {
                self.warning(
                    Target::EntityShare,
                    "quota_sum_mismatch",
                    format!(
                        "Le quote (ente, utente, SSN) sommano a {} ma l'importo è {}",
                        fmt_amount(sum),
                        fmt_amount(total)
                    ),
                    None,
                );
            }
        }
        if taken_in_charge.as_deref() == Some("1") && self.blank(Target::UserArea) {
            self.warning(
                Target::UserArea,
                "user_area_missing",
                "Con la presa in carico l'INPS richiede l'area di utenza (1, 2 o 3)",
                None,
            );
        }
        if let Some(code) = service_code.as_deref() {
            if prestazioni::requires_taken_in_charge(code) && taken_in_charge.as_deref() == Some("2") {
                self.warning(
                    Target::TakenInCharge,
                    "service_requires_taken_in_charge",
                    format!(
                        "I codici da A2.16 ad A2.29 ({code}) vanno comunicati all'INPS solo con la presa in carico"
                    ),
                    Some(code),
                );
            }
            if code == "A1.05.01" && self.blank(Target::EventDate) {
                self.warning(
                    Target::EventDate,
                    "event_date_missing",
                    "Per il contributo per l'affitto (A1.05.01) l'INPS richiede la data evento",
                    None,
                );
            }
        }

        Some(PrestazioneRecord {
            identifier: identifier?,
            tax_code: tax_code?,
            module: module?,
            service_code: service_code?,
            service_name,
            benefit_character: character?,
            means_test: means_test?,
            dsu_protocol,
            dsu_year,
            dsu_date,
            application_protocol: application_protocol?,
            event_date,
            start_date,
            end_date,
            delivery_date,
            amount,
            monthly_amount,
            months,
            entity_share,
            user_share,
            health_service_share,
            monthly_hours,
            taken_in_charge: taken_in_charge?,
            user_area,
        })
    }

    fn amount_missing(&mut self, t: Target, economic: bool, character: &str, what: &str) {
        if economic {
            self.error(
                t,
                "amount_missing",
                format!("Contributo economico a carattere {character} senza {what}"),
                None,
            );
        } else {
            self.warning(
                t,
                "service_cost_missing",
                format!("Prestazione a carattere {character} senza {what} (valore del servizio), richiesto dall'INPS"),
                None,
            );
        }
    }

    /// The DSU (ISEE) reference: protocol, year and date all present or all
    /// absent, the protocol in the INPS pattern and of the same year.
    fn dsu(&mut self, benefit_date: Option<NaiveDate>) -> (Option<String>, Option<i32>, Option<NaiveDate>) {
        let protocol = self.upper(Target::DsuProtocol).and_then(|p| {
            let compact: String = p.chars().filter(|c| !c.is_whitespace()).collect();
            if compact != p {
                self.repairs.push(Repair {
                    field: "dsu_protocol",
                    kind: "whitespace",
                });
            }
            if is_dsu_protocol(&compact) {
                Some(compact)
            } else {
                self.error(
                    Target::DsuProtocol,
                    "dsu_protocol_invalid",
                    format!("Protocollo DSU «{p}» non valido: atteso INPS-ISEE-AAAA-NNNNNNNNL-NN"),
                    Some(&p),
                );
                None
            }
        });
        let this_year = self.ctx.today.year();
        let year = self.integer(Target::DsuYear, min_dsu_date().year()..=this_year);
        let date = self.date(Target::DsuDate, min_dsu_date(), Future::Never);

        let parts = [Target::DsuProtocol, Target::DsuYear, Target::DsuDate];
        let present: Vec<bool> = parts.iter().map(|t| !self.blank(*t)).collect();
        let n = present.iter().filter(|p| **p).count();
        if n > 0 && n < parts.len() {
            let missing: Vec<&str> = parts
                .iter()
                .zip(&present)
                .filter(|(_, p)| !**p)
                .map(|(t, _)| t.title())
                .collect();
            self.error(
                Target::DsuProtocol,
                "dsu_incomplete",
                format!(
                    "Dati DSU incompleti: manca {} (protocollo, anno e data vanno indicati tutti o nessuno)",
                    missing.join(" e ")
                ),
                None,
            );
        }
        if let (Some(p), Some(y)) = (&protocol, year) {
            if p[10..14].parse::<i32>().ok() != Some(y) {
                self.error(
                    Target::DsuYear,
                    "dsu_year_mismatch",
                    format!("L'anno DSU {y} non corrisponde a quello del protocollo {p}"),
                    Some(&y.to_string()),
                );
            }
        }
        if let (Some(d), Some(y)) = (date, year) {
            if d.year() != y {
                self.warning(
                    Target::DsuDate,
                    "dsu_date_year_mismatch",
                    format!(
                        "La data DSU {} non è dell'anno del protocollo {y}",
                        d.format("%d/%m/%Y")
                    ),
                    Some(&d.to_string()),
                );
            }
        }
        if let (Some(y), Some(b)) = (year, benefit_date) {
            // A DSU is valid until 31 December of the year it was presented.
            if b.year() > y {
                self.warning(
                    Target::DsuYear,
                    "dsu_expired",
                    format!(
                        "La DSU del {y} era scaduta (valida fino al 31/12/{y}) alla data della prestazione {}",
                        b.format("%d/%m/%Y")
                    ),
                    Some(&y.to_string()),
                );
            }
        }
        if n == 0 && self.raw(Target::MeansTest).map(str::trim) == Some("1") {
            self.warning(
                Target::DsuProtocol,
                "dsu_missing_for_isee",
                "Prestazione soggetta a ISEE (prova dei mezzi 1) senza riferimenti DSU",
                None,
            );
        }
        (protocol, year, date)
    }

    fn sina(&mut self) -> Option<SinaRecord> {
        let identifier = self.identifier();
        let tax_code = self.tax_code().map(|(c, _)| c);
        let assessment_date = self.date(Target::AssessmentDate, min_date(), Future::Never);
        let assessment_date = self.required(Target::AssessmentDate, assessment_date);
        let service_identifier = self.text(Target::ServiceIdentifier);
        let mobility = self.required_code(
            Target::Mobility,
            &["1", "2", "3"],
            "1 si sposta da solo, 2 assistito, 3 non si sposta",
        );
        let daily = self.required_code(
            Target::DailyLivingActivities,
            &["1", "2", "3"],
            "1 autonomo, 2 parzialmente dipendente, 3 totalmente dipendente",
        );
        let cognitive = self.code(
            Target::CognitiveDisorders,
            &["1", "2", "3"],
            "1 lievi, 2 moderati, 3 gravi",
        );
        let behavioural =
            self.required_code(Target::BehaviouralDisorders, &["1", "2"], "1 assenti, 2 presenti");
        let health = self.code(
            Target::HealthCareNeeds,
            &["1", "2", "3"],
            "1 bassa, 2 media, 3 alta",
        );
        let income = self.required_code(
            Target::IncomeArea,
            &["1", "2", "3"],
            "1 autonomo, 2 aiuto da parenti, 3 bisogno senza aiuti",
        );
        let support = self.required_code(
            Target::SupportNetwork,
            &["1", "2", "3"],
            "1 rete presente, 2 parziale o temporanea, 3 assente",
        );
        let source = self.required_code(
            Target::AssessmentSource,
            &["1", "2", "3", "4"],
            "1 UVM, 2 cartella sociale, 3 altra documentazione, 4 raccolta diretta",
        );
        let tool = self.required_code(
            Target::AssessmentTool,
            &["1", "2", "3", "4", "5", "6", "7"],
            "1 SVAMA, 2 AGED, 3 RUG, 4 SOSIA, 5 schema polare, 6 VALGRAF, 7 altro",
        );
        let disability_source = self.code(
            Target::DisabilitySource,
            &["1", "2"],
            "1 certificazione verificata, 2 dichiarazione della persona",
        );
        let civil_invalidity = self.list(
            Target::CivilInvalidity,
            |i| enum_item(i, 1..=8),
            "codici InvCiv da 1 a 8",
        );
        let needed_services = self.service_list(Target::NeededServices);
        Some(SinaRecord {
            identifier: identifier?,
            tax_code: tax_code?,
            assessment_date: assessment_date?,
            service_identifier,
            mobility: mobility?,
            daily_living_activities: daily?,
            cognitive_disorders: cognitive,
            behavioural_disorders: behavioural?,
            health_care_needs: health,
            income_area: income?,
            support_network: support?,
            assessment_source: source?,
            assessment_tool: tool?,
            disability_source,
            civil_invalidity,
            needed_services,
        })
    }

    /// A list of codici prestazione: malformed ones reject the row, unknown
    /// ones are warned about.
    fn service_list(&mut self, t: Target) -> Option<String> {
        let list = self.list(
            t,
            |i| prestazioni::is_well_formed(i).then(|| i.to_string()),
            "codici prestazione INPS, es. A2.07",
        )?;
        for code in list.split(';') {
            if prestazioni::codice(code).is_none() {
                self.warning(
                    t,
                    "service_code_unknown",
                    format!("Codice prestazione «{code}» assente dalla tabella INPS nota"),
                    Some(code),
                );
            }
        }
        Some(list)
    }

    fn sinba(&mut self) -> Option<SinbaRecord> {
        let identifier = self.identifier();
        let cf = self.tax_code();
        let open = self.date(Target::CaseOpenDate, min_date(), Future::Never);
        let open = self.required(Target::CaseOpenDate, open);
        let close = self.date(Target::CaseCloseDate, min_date(), Future::Never);
        let first_report = self.date(Target::FirstReportDate, min_date(), Future::Never);
        let first_report = self.required(Target::FirstReportDate, first_report);
        let range = |n: u32| -> Vec<String> { (1..=n).map(|i| i.to_string()).collect() };
        let coded = |v: &mut Self, t: Target, n: u32, meaning: &str| {
            let allowed = range(n);
            let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
            v.required_code(t, &allowed, meaning)
        };
        let report_source = coded(self, Target::ReportSource, 14, "FonteSegnalazione, da 1 a 14");
        let unaccompanied = coded(self, Target::UnaccompaniedForeignMinor, 2, "1 sì, 2 no");
        let condition = coded(self, Target::MinorCondition, 5, "CondizioneMinore, da 1 a 5");
        let living = coded(self, Target::LivingPlace, 8, "LuogoVita, da 1 a 8");
        let school = coded(self, Target::SchoolAttended, 8, "ScuolaFrequentata, da 1 a 8");
        let work = coded(self, Target::WorkCondition, 4, "CondizioneLavoro, da 1 a 4");
        let disability = coded(self, Target::Disability, 2, "1 sì, 2 no");
        let minor_assessment = coded(self, Target::MinorAssessment, 13, "ValutazioneMinore, da 1 a 13");
        let family_assessment = coded(
            self,
            Target::FamilyAssessment,
            13,
            "ValutazioneFamigliaMinore, da 1 a 13",
        );
        let judicial_report = coded(self, Target::JudicialReport, 2, "1 sì, 2 no");
        let judicial_measure = coded(self, Target::JudicialMeasure, 2, "1 sì, 2 no");
        let measure_date = self.date(Target::JudicialMeasureDate, min_date(), Future::Never);
        let closing_reason = self.code(
            Target::ClosingReason,
            &["1", "2", "3", "4", "5", "6", "7", "8", "9"],
            "MotivazioneChiusuraCarico, da 1 a 9",
        );
        let services = self.service_list(Target::Services);
        let family = self.list(
            Target::FamilyComposition,
            |i| enum_item(i, 1..=6),
            "ComposizioneFamiglia, da 1 a 6",
        );
        let isee_band = self.code(
            Target::IseeBand,
            &["1", "2", "3", "4", "5", "6", "7", "8"],
            "FasciaISEEBeneficiario, da 1 a 8",
        );
        let isee_members = self.integer(Target::IseeHouseholdMembers, 1..=9);

        if let (Some(o), Some(c)) = (open, close) {
            if c < o {
                self.error(
                    Target::CaseCloseDate,
                    "end_before_start",
                    format!(
                        "La chiusura del caso ({}) precede la presa in carico ({})",
                        c.format("%d/%m/%Y"),
                        o.format("%d/%m/%Y")
                    ),
                    Some(&c.to_string()),
                );
            }
        }
        if let (Some(o), Some(r)) = (open, first_report) {
            // Month precision: a report in the month of the opening is fine.
            if r > o {
                self.warning(
                    Target::FirstReportDate,
                    "report_after_case_open",
                    format!(
                        "La prima segnalazione ({}) è successiva alla presa in carico ({})",
                        r.format("%m/%Y"),
                        o.format("%d/%m/%Y")
                    ),
                    Some(&r.to_string()),
                );
            }
        }
        if let (Some((code, info)), Some(o)) = (&cf, open) {
            if let Some(born) = cf::birth_date(info, o) {
                let age = o.years_since(born).unwrap_or(0);
                if age >= 18 {
                    self.warning(
                        Target::TaxCode,
                        "sinba_beneficiary_adult",
                        format!(
                            "Il beneficiario aveva {age} anni alla presa in carico: SINBA riguarda i minori"
                        ),
                        Some(code),
                    );
                }
            }
        }
        if close.is_some() && self.blank(Target::ClosingReason) {
            self.warning(
                Target::ClosingReason,
                "closing_reason_missing",
                "Caso chiuso senza motivo della chiusura",
                None,
            );
        }
        if self.blank(Target::Services) {
            self.warning(
                Target::Services,
                "services_missing",
                "Nessuna prestazione indicata per il caso: il flusso SINBA ne richiede almeno una",
                None,
            );
        }
        Some(SinbaRecord {
            identifier: identifier?,
            tax_code: cf.map(|(c, _)| c)?,
            case_open_date: open?,
            case_close_date: close,
            first_report_date: first_report?,
            report_source: report_source?,
            unaccompanied_foreign_minor: unaccompanied?,
            minor_condition: condition?,
            living_place: living?,
            school_attended: school?,
            work_condition: work?,
            disability: disability?,
            minor_assessment: minor_assessment?,
            family_assessment: family_assessment?,
            judicial_report: judicial_report?,
            judicial_measure: judicial_measure?,
            judicial_measure_date: measure_date,
            closing_reason,
            services,
            family_composition: family,
            isee_band,
            isee_household_members: isee_members,
        })
    }
}

/// A numeric code in `range`, without leading zeros.
fn enum_item(s: &str, range: std::ops::RangeInclusive<u32>) -> Option<String> {
    let n: u32 = s.parse().ok()?;
    range.contains(&n).then(|| n.to_string())
}

/// `MM/YYYY`, `MM-YYYY` or `YYYY-MM`: the first day of the month.
fn month_year(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let (m, y) = match s.split_once(['/', '-', '.']) {
        Some((a, b)) if a.len() == 4 => (b, a),
        Some((a, b)) => (a, b),
        None => return None,
    };
    if y.len() != 4 || m.is_empty() || m.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
}

/// Whether `p` matches the INPS DSU protocol pattern
/// `INPS-ISEE-[0-9]{4}-[0-9]{8}[A-Z]-[0-9]{2}`.
pub fn is_dsu_protocol(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() == 27
        && p.starts_with("INPS-ISEE-")
        && b[10..14].iter().all(u8::is_ascii_digit)
        && b[14] == b'-'
        && b[15..23].iter().all(u8::is_ascii_digit)
        && b[23].is_ascii_uppercase()
        && b[24] == b'-'
        && b[25..27].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_match_the_schema() {
        let mut mappable = Vec::new();
        for e in schema::sociale_entities() {
            for f in e.fields.iter().filter(|f| f.mappable) {
                if !mappable.contains(&f.name) {
                    mappable.push(f.name);
                }
            }
        }
        assert_eq!(mappable.len(), Target::COUNT, "{mappable:?}");
        for t in Target::ALL {
            assert!(mappable.contains(&t.name()), "{}", t.name());
            assert_eq!(Target::from_name(t.name()), Some(t));
        }
        for k in Kind::ALL {
            assert!(k.required().contains(&Target::Identifier));
            assert!(k.required().contains(&Target::TaxCode));
            assert_eq!(Kind::from_name(k.name()), Some(k));
        }
        assert!(Kind::Prestazioni.accepts(Target::Module));
        assert!(!Kind::Sina.accepts(Target::Module));
        assert!(!Kind::Prestazioni.required().contains(&Target::Module));
        assert!(Target::StartDate.is_date() && !Target::Amount.is_date());
        assert!(Target::Amount.is_number() && Target::Months.is_number() && !Target::TaxCode.is_number());
    }

    #[test]
    fn dsu_protocol_pattern() {
        assert!(is_dsu_protocol("INPS-ISEE-2015-01480722D-00"));
        for bad in [
            "INPS-ISEE-2015-1480722D-00",
            "INPS-ISEE-2015-01480722-00",
            "INPS-ISEE-15-01480722D-00",
            "INPS-ISEE-2015-01480722d-00",
            "INPS-ISE-2015-01480722D-00",
            "INPS-ISEE-2015-12345A789-00",
            "INPS-ISEE-2015-01480722D-0",
        ] {
            assert!(!is_dsu_protocol(bad), "{bad}");
        }
    }

    #[test]
    fn month_year_dates() {
        let d = |y, m| NaiveDate::from_ymd_opt(y, m, 1);
        assert_eq!(month_year("03/2024"), d(2024, 3));
        assert_eq!(month_year("3-2024"), d(2024, 3));
        assert_eq!(month_year("2024-03"), d(2024, 3));
        assert_eq!(month_year("13/2024"), None);
        assert_eq!(month_year("03/24"), None);
    }

    #[test]
    fn amounts_are_shown_the_italian_way() {
        assert_eq!(fmt_amount(1234.5), "1.234,50");
        assert_eq!(fmt_amount(0.0), "0,00");
        assert_eq!(fmt_amount(-12.0), "-12,00");
        assert_eq!(fmt_amount(1_000_000.0), "1.000.000,00");
    }
}
