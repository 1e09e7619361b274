//! Validation of one anagrafe row (a resident with family and address).

use super::{address, common, date, text, Issue, Repair, Severity};
use crate::anpr::{BelfioreCheck, ComuniArchive};
use crate::schema::Vocabulary;
use crate::{cf, refdata, vocab};
use chrono::{Datelike, NaiveDate};

/// The fields a source column may be mapped to, in a fixed order so that
/// rows are plain arrays (`[Option<String>; N]`), not maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    TaxCode,
    FamilyName,
    GivenName,
    SexId,
    DateOfBirth,
    BirthPlaceCode,
    CitizenshipCode,
    MaritalStatusCode,
    ResidentPersonId,
    RegisteredFamilyCode,
    ParentalRelationshipTypeCode,
    ToponymQualifier,
    OfficialStreetName,
    StreetNumber,
    StreetNumberExponent,
    PostCode,
    ResidenceStartDate,
    FullAddress,
}

impl Target {
    pub const ALL: [Target; 18] = [
        Target::TaxCode,
        Target::FamilyName,
        Target::GivenName,
        Target::SexId,
        Target::DateOfBirth,
        Target::BirthPlaceCode,
        Target::CitizenshipCode,
        Target::MaritalStatusCode,
        Target::ResidentPersonId,
        Target::RegisteredFamilyCode,
        Target::ParentalRelationshipTypeCode,
        Target::ToponymQualifier,
        Target::OfficialStreetName,
        Target::StreetNumber,
        Target::StreetNumberExponent,
        Target::PostCode,
        Target::ResidenceStartDate,
        Target::FullAddress,
    ];
    pub const COUNT: usize = Self::ALL.len();

    /// Targets every source must map (the schema's required fields, except
    /// `official_street_name`, which `full_address` may provide instead).
    pub const REQUIRED: [Target; 8] = [
        Target::TaxCode,
        Target::FamilyName,
        Target::GivenName,
        Target::SexId,
        Target::DateOfBirth,
        Target::BirthPlaceCode,
        Target::RegisteredFamilyCode,
        Target::ParentalRelationshipTypeCode,
    ];

    /// Schema field name (mapping target name).
    pub fn name(self) -> &'static str {
        match self {
            Target::TaxCode => "tax_code",
            Target::FamilyName => "family_name",
            Target::GivenName => "given_name",
            Target::SexId => "sex_id",
            Target::DateOfBirth => "date_of_birth",
            Target::BirthPlaceCode => "birth_place_code",
            Target::CitizenshipCode => "citizenship_code",
            Target::MaritalStatusCode => "marital_status_code",
            Target::ResidentPersonId => "resident_person_id",
            Target::RegisteredFamilyCode => "registered_family_code",
            Target::ParentalRelationshipTypeCode => "parental_relationship_type_code",
            Target::ToponymQualifier => "toponym_qualifier",
            Target::OfficialStreetName => "official_street_name",
            Target::StreetNumber => "street_number",
            Target::StreetNumberExponent => "street_number_exponent",
            Target::PostCode => "post_code",
            Target::ResidenceStartDate => "residence_start_date",
            Target::FullAddress => crate::schema::FULL_ADDRESS,
        }
    }

    pub fn from_name(name: &str) -> Option<Target> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Italian title of the field (from the schema), for messages.
    pub fn title(self) -> &'static str {
        crate::schema::anagrafe_field(self.name())
            .map(|f| f.title)
            .unwrap_or("Indirizzo completo")
    }

    /// Whether the target holds a date (so a mapping may give a date format).
    pub fn is_date(self) -> bool {
        matches!(self, Target::DateOfBirth | Target::ResidenceStartDate)
    }
}

/// One mapped input row: the raw value for each target (after value
/// recoding by the mapping), `None` for an empty or unmapped cell.
pub type Input = [Option<String>; Target::COUNT];

/// A valid, normalised anagrafe row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AnagrafeRecord {
    pub tax_code: String,
    pub family_name: String,
    pub given_name: String,
    pub sex_id: cf::Sex,
    pub date_of_birth: NaiveDate,
    pub birth_place_code: String,
    pub citizenship_code: Option<String>,
    pub marital_status_code: Option<String>,
    pub resident_person_id: Option<String>,
    pub registered_family_code: String,
    pub parental_relationship_type_code: String,
    pub toponym_qualifier: Option<String>,
    pub official_street_name: String,
    pub street_number: Option<String>,
    pub street_number_exponent: Option<String>,
    pub post_code: Option<String>,
    pub residence_start_date: Option<NaiveDate>,
}

/// What the validators need besides the row.
pub struct Context<'a> {
    /// ANPR archive of comuni, when configured: birthplace codes are then
    /// checked against the validity dates.
    pub archive: Option<&'a ComuniArchive>,
    /// Dates after this are in the future.
    pub today: NaiveDate,
    /// Date formats declared by the mapping, per date target.
    pub date_of_birth_format: Option<&'a str>,
    pub residence_start_date_format: Option<&'a str>,
}

/// The result of validating one row.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The normalised record, when no issue is an error.
    pub record: Option<AnagrafeRecord>,
    pub issues: Vec<Issue>,
    pub repairs: Vec<Repair>,
}

impl Outcome {
    pub fn is_rejected(&self) -> bool {
        self.record.is_none()
    }
}

/// Validates and normalises one row.
pub fn validate(input: &Input, ctx: &Context<'_>) -> Outcome {
    let mut v = Validator {
        issues: Vec::new(),
        repairs: Vec::new(),
    };
    let record = v.run(input, ctx);
    let has_error = v.issues.iter().any(|i| i.severity == Severity::Error);
    Outcome {
        record: if has_error { None } else { record },
        issues: v.issues,
        repairs: v.repairs,
    }
}

fn is_blank(input: &Input, t: Target) -> bool {
    input[t as usize].as_deref().is_none_or(|v| v.trim().is_empty())
}

struct Validator {
    issues: Vec<Issue>,
    repairs: Vec<Repair>,
}

impl Validator {
    fn text(&mut self, input: &Input, t: Target) -> Option<String> {
        let raw = input[t as usize].as_deref()?;
        // Garbled bytes reject the row rather than storing garbled names.
        common::clean_text(t.name(), t.title(), raw, &mut self.issues, &mut self.repairs)
    }

    fn upper(&mut self, input: &Input, t: Target) -> Option<String> {
        let v = self.text(input, t)?;
        Some(text::upper(t.name(), v, &mut self.repairs))
    }

    fn required(&mut self, t: Target, v: Option<String>) -> Option<String> {
        if v.is_none() {
            self.issues.push(Issue::error(
                t.name(),
                "required_missing",
                format!("Il campo obbligatorio «{}» è vuoto", t.title()),
                None,
            ));
        }
        v
    }

    fn run(&mut self, input: &Input, ctx: &Context<'_>) -> Option<AnagrafeRecord> {
        let tax_code = self.upper(input, Target::TaxCode);
        let tax_code = self.required(Target::TaxCode, tax_code);
        let family_name = self.upper(input, Target::FamilyName);
        let family_name = self.required(Target::FamilyName, family_name);
        let given_name = self.upper(input, Target::GivenName);
        let given_name = self.required(Target::GivenName, given_name);

        let sex = self.upper(input, Target::SexId);
        let sex = self.required(Target::SexId, sex).and_then(|s| match s.as_str() {
            "M" => Some(cf::Sex::M),
            "F" => Some(cf::Sex::F),
            _ => {
                self.issues.push(Issue::error(
                    "sex_id",
                    "enum_invalid",
                    format!("Sesso «{s}» non valido: ammessi M o F"),
                    Some(&s),
                ));
                None
            }
        });

        let dob = self.date(input, Target::DateOfBirth, ctx.date_of_birth_format, ctx, true);
        let birth_place = self.upper(input, Target::BirthPlaceCode);
        let birth_place = self.required(Target::BirthPlaceCode, birth_place);
        if let (Some(bp), Some(d)) = (&birth_place, dob) {
            self.birthplace(bp, d, ctx);
        }

        // Codice fiscale: format, check character, then consistency.
        let cf_info = tax_code.as_ref().and_then(|c| self.tax_code(c));
        let tax_code = match (tax_code, &cf_info) {
            (Some(_), Some((code, info))) => {
                if let Some(d) = dob {
                    self.cf_date(info, d);
                }
                if let Some(s) = sex {
                    if info.sex != s {
                        self.issues.push(Issue::error(
                            "tax_code",
                            "cf_sex_mismatch",
                            format!(
                                "Il codice fiscale indica il sesso {:?}, ma il sesso dichiarato è {:?}",
                                info.sex, s
                            ),
                            Some(code),
                        ));
                    }
                }
                if let Some(bp) = &birth_place {
                    if &info.birthplace != bp {
                        self.issues.push(Issue::error(
                            "tax_code",
                            "cf_birthplace_mismatch",
                            format!(
                                "Il codice fiscale indica il luogo di nascita {}, ma quello dichiarato è {bp}",
                                info.birthplace
                            ),
                            Some(code),
                        ));
                    }
                }
                Some(code.clone())
            }
            _ => None,
        };

        let citizenship = self.text(input, Target::CitizenshipCode).and_then(|c| {
            // Exports often drop leading zeros or pad: normalise to 3 digits.
            let ok = c.len() <= 3 && c.chars().all(|ch| ch.is_ascii_digit());
            if ok {
                let padded = format!("{c:0>3}");
                if padded != c {
                    self.repairs.push(Repair { field: "citizenship_code", kind: "zero_padding" });
                }
                Some(padded)
            } else {
                self.issues.push(Issue::error(
                    "citizenship_code",
                    "citizenship_invalid",
                    format!("Codice di cittadinanza «{c}» non valido: atteso il codice ISTAT a tre cifre dello Stato"),
                    Some(&c),
                ));
                None
            }
        });
        let marital = self.code(
            input,
            Target::MaritalStatusCode,
            Vocabulary::MaritalStatus,
            "Stato civile",
        );
        let resident_person_id = self.upper(input, Target::ResidentPersonId);

        let family_code = self.text(input, Target::RegisteredFamilyCode);
        let family_code = self.required(Target::RegisteredFamilyCode, family_code);
        let relation = if is_blank(input, Target::ParentalRelationshipTypeCode) {
            self.required(Target::ParentalRelationshipTypeCode, None)
        } else {
            self.code(
                input,
                Target::ParentalRelationshipTypeCode,
                Vocabulary::ParentalRelationship,
                "Relazione di parentela",
            )
        };
        if let Some(r) = relation.as_deref().and_then(refdata::relazione_parentela) {
            if r.valid_to.is_some() {
                self.issues.push(Issue::warning(
                    "parental_relationship_type_code",
                    "relation_code_restricted",
                    format!(
                        "La relazione «{}» è utilizzabile solo al subentro in ANPR",
                        r.description
                    ),
                    Some(&r.code),
                ));
            }
        }

        let (dug, street, number, exponent) = self.address(input);
        let street = self.required(Target::OfficialStreetName, street);
        let post_code = self.text(input, Target::PostCode).and_then(|p| {
            if p.len() == 5 && p.chars().all(|c| c.is_ascii_digit()) {
                Some(p)
            } else {
                self.issues.push(Issue::error(
                    "post_code",
                    "post_code_invalid",
                    format!("CAP «{p}» non valido: servono cinque cifre"),
                    Some(&p),
                ));
                None
            }
        });
        let residence_start = self.date(
            input,
            Target::ResidenceStartDate,
            ctx.residence_start_date_format,
            ctx,
            false,
        );
        if let (Some(start), Some(d)) = (residence_start, dob) {
            if start < d {
                self.issues.push(Issue::error(
                    "residence_start_date",
                    "residence_before_birth",
                    "La residenza decorre da una data precedente alla nascita",
                    Some(&start.to_string()),
                ));
            }
        }

        Some(AnagrafeRecord {
            tax_code: tax_code?,
            family_name: family_name?,
            given_name: given_name?,
            sex_id: sex?,
            date_of_birth: dob?,
            birth_place_code: birth_place?,
            citizenship_code: citizenship,
            marital_status_code: marital,
            resident_person_id,
            registered_family_code: family_code?,
            parental_relationship_type_code: relation?,
            toponym_qualifier: dug,
            official_street_name: street?,
            street_number: number,
            street_number_exponent: exponent,
            post_code,
            residence_start_date: residence_start,
        })
    }

    fn date(
        &mut self,
        input: &Input,
        t: Target,
        format: Option<&str>,
        ctx: &Context<'_>,
        required: bool,
    ) -> Option<NaiveDate> {
        let raw = self.text(input, t);
        let raw = if required { self.required(t, raw)? } else { raw? };
        let Some(d) = date::parse(&raw, format) else {
            let expected = format
                .map(|f| format!(" (formato atteso {f})"))
                .unwrap_or_default();
            self.issues.push(Issue::error(
                t.name(),
                "date_invalid",
                format!("Data «{raw}» non valida{expected}"),
                Some(&raw),
            ));
            return None;
        };
        if d > ctx.today {
            self.issues.push(Issue::error(
                t.name(),
                "date_in_future",
                format!("La data {d} è nel futuro"),
                Some(&raw),
            ));
            return None;
        }
        if d < date::min_birth_date() {
            self.issues.push(Issue::error(
                t.name(),
                "date_out_of_range",
                format!("La data {d} è precedente al {}", date::min_birth_date()),
                Some(&raw),
            ));
            return None;
        }
        Some(d)
    }

    fn code(&mut self, input: &Input, t: Target, vocabulary: Vocabulary, label: &str) -> Option<String> {
        let v = self.upper(input, t)?;
        // Numeric codes are often exported with leading zeros ("01").
        let normalised = if v.chars().all(|c| c.is_ascii_digit()) && v.len() > 1 && v.starts_with('0') {
            v.trim_start_matches('0').to_string()
        } else {
            v.clone()
        };
        if vocab::contains(vocabulary, &normalised) {
            if normalised != v {
                self.repairs.push(Repair {
                    field: t.name(),
                    kind: "zero_padding",
                });
            }
            Some(normalised)
        } else {
            self.issues.push(Issue::error(
                t.name(),
                "enum_invalid",
                format!("{label}: codice «{v}» non previsto ({})", vocabulary.source()),
                Some(&v),
            ));
            None
        }
    }

    fn tax_code(&mut self, code: &str) -> Option<(String, cf::CfInfo)> {
        common::tax_code("tax_code", code, &mut self.issues, &mut self.repairs)
    }

    fn cf_date(&mut self, info: &cf::CfInfo, dob: NaiveDate) {
        let yy = (dob.year().rem_euclid(100)) as u8;
        if info.birth_date_yy != yy || info.month != dob.month() || info.day != dob.day() {
            self.issues.push(Issue::error(
                "tax_code",
                "cf_birth_date_mismatch",
                format!(
                    "Il codice fiscale indica la nascita il {:02}/{:02}/..{:02}, ma la data di nascita dichiarata è {}",
                    info.day,
                    info.month,
                    info.birth_date_yy,
                    dob.format("%d/%m/%Y")
                ),
                None,
            ));
        }
    }

    fn birthplace(&mut self, code: &str, dob: NaiveDate, ctx: &Context<'_>) {
        let well_formed = code.len() == 4
            && code.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && code[1..].chars().all(|c| c.is_ascii_digit());
        if !well_formed {
            self.issues.push(Issue::error(
                "birth_place_code",
                "belfiore_invalid",
                format!("Il luogo di nascita «{code}» non è un codice catastale (lettera e tre cifre)"),
                Some(code),
            ));
            return;
        }
        if code.starts_with('Z') {
            match refdata::stato_estero(code) {
                None => self.issues.push(Issue::error(
                    "birth_place_code",
                    "foreign_state_unknown",
                    format!(
                        "Il codice di Stato estero {code} non esiste nella tabella ANPR degli Stati esteri"
                    ),
                    Some(code),
                )),
                Some(s) => {
                    let after_end = s.valid_to.is_some_and(|to| dob > to);
                    let before_start = s.valid_from.is_some_and(|from| dob < from);
                    if after_end || before_start {
                        self.issues.push(Issue::warning(
                            "birth_place_code",
                            "foreign_state_not_valid_at_date",
                            format!(
                                "Lo Stato {} ({code}) non era valido alla data di nascita {dob}",
                                s.denominazione
                            ),
                            Some(code),
                        ));
                    }
                }
            }
            return;
        }
        if let Some(archive) = ctx.archive {
            match archive.check_belfiore(code, dob) {
                BelfioreCheck::Valid { .. } => {}
                BelfioreCheck::NotValidAt { intervals } => {
                    let periods: Vec<String> = intervals.iter().map(|(a, b)| format!("{a}…{b}")).collect();
                    self.issues.push(Issue::error(
                        "birth_place_code",
                        "birthplace_not_valid_at_date",
                        format!(
                            "Il codice catastale {code} non era valido alla data di nascita {dob} (valido: {})",
                            periods.join(", ")
                        ),
                        Some(code),
                    ));
                }
                BelfioreCheck::Unknown => self.issues.push(Issue::error(
                    "birth_place_code",
                    "belfiore_unknown",
                    format!("Il codice catastale {code} non esiste nell'archivio ANPR dei comuni"),
                    Some(code),
                )),
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn address(&mut self, input: &Input) -> (Option<String>, Option<String>, Option<String>, Option<String>) {
        let mut dug = self
            .upper(input, Target::ToponymQualifier)
            .map(|d| address::expand_dug("toponym_qualifier", d, &mut self.repairs));
        let mut street = self.upper(input, Target::OfficialStreetName);
        let mut number = self.upper(input, Target::StreetNumber);
        let mut exponent = self.upper(input, Target::StreetNumberExponent);
        if let Some(line) = self.upper(input, Target::FullAddress) {
            match address::split("full_address", &line, &mut self.repairs) {
                Some(a) => {
                    dug = dug.or(a.dug);
                    street = street.or(Some(a.street_name));
                    number = number.or(a.number);
                    exponent = exponent.or(a.exponent);
                }
                None => self.issues.push(Issue::error(
                    "full_address",
                    "address_unparsable",
                    format!("Indirizzo «{line}» non interpretabile"),
                    Some(&line),
                )),
            }
        }
        if let Some(d) = &dug {
            if !vocab::contains(Vocabulary::Dug, d) {
                self.issues.push(Issue::warning(
                    "toponym_qualifier",
                    "dug_unknown",
                    format!("DUG «{d}» assente dalla Tabella 4 ANPR"),
                    Some(d),
                ));
            }
        }
        if let Some(n) = &number {
            if !n.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                self.issues.push(Issue::error(
                    "street_number",
                    "street_number_invalid",
                    format!("Numero civico «{n}» non valido"),
                    Some(n),
                ));
                number = None;
            }
        }
        (dug, street, number, exponent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_match_the_schema() {
        let names = crate::schema::anagrafe_mapping_targets();
        assert_eq!(names.len(), Target::COUNT);
        for t in Target::ALL {
            assert!(names.contains(&t.name()), "{}", t.name());
            assert_eq!(Target::from_name(t.name()), Some(t));
        }
        let required: Vec<Target> = Target::ALL
            .into_iter()
            .filter(|t| crate::schema::anagrafe_field(t.name()).is_some_and(|f| f.required))
            .filter(|t| *t != Target::OfficialStreetName)
            .collect();
        assert_eq!(required, Target::REQUIRED.to_vec());
    }
}
