//! Validation helpers shared by the builders.

use std::collections::BTreeSet;

use crate::error::{Issue, IssueKind};
use crate::model::{Agent, ContactPoint, Iri, LangString, Spatial, Standard};

/// Collects issues under a path.
pub(crate) struct Ctx<'a> {
    pub path: String,
    pub issues: &'a mut Vec<Issue>,
}

impl<'a> Ctx<'a> {
    pub fn new(path: impl Into<String>, issues: &'a mut Vec<Issue>) -> Self {
        Ctx {
            path: path.into(),
            issues,
        }
    }

    pub fn child(&mut self, label: &str) -> Ctx<'_> {
        Ctx {
            path: format!("{} > {}", self.path, label),
            issues: self.issues,
        }
    }

    pub fn missing(&mut self, property: &'static str) {
        self.issues.push(Issue {
            path: self.path.clone(),
            property,
            kind: IssueKind::Missing,
        });
    }

    pub fn invalid(&mut self, property: &'static str, msg: impl Into<String>) {
        self.issues.push(Issue {
            path: self.path.clone(),
            property,
            kind: IssueKind::Invalid(msg.into()),
        });
    }

    /// Record the `Err` of `r` as an invalid `property`; return the `Ok` value.
    pub fn check<T>(&mut self, property: &'static str, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.invalid(property, e);
                None
            }
        }
    }

    pub fn iri(&mut self, property: &'static str, s: &str) -> Option<Iri> {
        self.check(property, Iri::parse(s).map_err(|e| e.to_string()))
    }

    pub fn http_iri(&mut self, property: &'static str, s: &str) -> Option<Iri> {
        self.check(property, Iri::parse_http(s).map_err(|e| e.to_string()))
    }
}

pub(crate) fn check_ipa_code(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 64 {
        return Err(format!("IPA code {s:?} must be 1 to 64 characters"));
    }
    if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "IPA code {s:?} may contain only ASCII letters, digits and '_'"
        ));
    }
    Ok(())
}

pub(crate) fn check_slug(s: &str, what: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 200 {
        return Err(format!("{what} {s:?} must be 1 to 200 characters"));
    }
    if s == "." || s == ".." {
        return Err(format!("{what} {s:?} is not allowed"));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(format!(
            "{what} {s:?} may contain only ASCII letters, digits, '.', '_' and '-'"
        ));
    }
    Ok(())
}

/// Text must be non-blank and free of characters RDF/XML cannot carry
/// (C0 controls other than TAB/LF/CR, U+FFFE, U+FFFF).
pub(crate) fn check_text(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        return Err("empty text".to_string());
    }
    if let Some(c) = s.chars().find(|&c| {
        ((c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
    }) {
        return Err(format!(
            "contains control character U+{:04X}, which XML cannot represent",
            c as u32
        ));
    }
    Ok(())
}

/// DCAT-AP_IT descriptions are plain text: reject anything that looks like
/// an HTML/XML tag (`<` followed by a letter, `/` or `!`).
pub(crate) fn check_no_html(s: &str) -> Result<(), String> {
    let chars: Vec<char> = s.chars().collect();
    for w in chars.windows(2) {
        if w[0] == '<' && (w[1].is_ascii_alphabetic() || w[1] == '/' || w[1] == '!') {
            return Err("looks like HTML markup; DCAT-AP_IT descriptions must be plain text".into());
        }
    }
    Ok(())
}

/// Syntactic BCP 47 check: `alpha{1,8}(-alnum{1,8})*`.
pub(crate) fn check_lang_tag(tag: &str) -> Result<(), String> {
    let mut parts = tag.split('-');
    let first = parts.next().unwrap_or("");
    let ok_first = (1..=8).contains(&first.len()) && first.chars().all(|c| c.is_ascii_alphabetic());
    let ok_rest = parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok_first && ok_rest {
        Ok(())
    } else {
        Err(format!("{tag:?} is not a valid BCP 47 language tag"))
    }
}

pub(crate) fn check_email(s: &str) -> Result<(), String> {
    let bad = || Err(format!("{s:?} is not a valid e-mail address"));
    let Some((local, domain)) = s.split_once('@') else {
        return bad();
    };
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok {
        Ok(())
    } else {
        bad()
    }
}

/// CKAN (and therefore the dati.gov.it harvester) refuses tags outside
/// 2..=100 characters or with characters other than alphanumerics, space,
/// `-`, `_` and `.` (dcat-ap-it.md §3, problem 5).
pub(crate) fn check_keyword(s: &str) -> Result<(), String> {
    let n = s.chars().count();
    if !(2..=100).contains(&n) {
        return Err(format!(
            "keyword {s:?} must be 2 to 100 characters (CKAN tag rule)"
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|&c| !(c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.')))
    {
        return Err(format!(
            "keyword {s:?} contains {c:?}; CKAN tags allow only letters, digits, space, '-', '_' and '.'"
        ));
    }
    Ok(())
}

/// Validate a multilingual property: `required` means at least one value;
/// at most one value per language.
pub(crate) fn lang_strings(
    ctx: &mut Ctx<'_>,
    property: &'static str,
    values: &[LangString],
    required: bool,
    plain_text: bool,
) {
    if values.is_empty() {
        if required {
            ctx.missing(property);
        }
        return;
    }
    let mut seen = BTreeSet::new();
    for v in values {
        ctx.check(property, check_lang_tag(&v.lang));
        ctx.check(property, check_text(&v.value));
        if plain_text {
            ctx.check(property, check_no_html(&v.value));
        }
        if !seen.insert(v.lang.to_ascii_lowercase()) {
            ctx.invalid(property, format!("more than one value for language {:?}", v.lang));
        }
    }
}

pub(crate) fn agent(ctx: &mut Ctx<'_>, property: &'static str, a: &Agent) {
    ctx.check(property, check_ipa_code(&a.ipa_code));
    ctx.check(
        property,
        check_text(&a.name).map_err(|e| format!("foaf:name: {e}")),
    );
}

pub(crate) fn contact_point(ctx: &mut Ctx<'_>, c: &ContactPoint) {
    const P: &str = "dcat:contactPoint";
    ctx.check(P, check_text(&c.name).map_err(|e| format!("vcard:fn: {e}")));
    ctx.check(
        P,
        check_email(&c.email).map_err(|e| format!("vcard:hasEmail: {e}")),
    );
    if let Some(u) = &c.url {
        ctx.http_iri(P, u);
    }
}

pub(crate) fn spatial(ctx: &mut Ctx<'_>, s: &Spatial) {
    const P: &str = "dct:spatial";
    match s {
        Spatial::GeoNames(id) => {
            if *id == 0 {
                ctx.invalid(P, "GeoNames id must be positive");
            }
        }
        Spatial::Iri(iri) => {
            ctx.iri(P, iri);
        }
        Spatial::Named(name) => lang_strings(
            ctx,
            "locn:geographicName",
            std::slice::from_ref(name),
            true,
            false,
        ),
    }
}

pub(crate) fn standard(ctx: &mut Ctx<'_>, s: &Standard) {
    const P: &str = "dct:conformsTo";
    ctx.iri(P, &s.iri);
    ctx.check(
        P,
        check_text(&s.identifier).map_err(|e| format!("dct:identifier: {e}")),
    );
    lang_strings(ctx, "dct:title", &s.titles, false, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert!(check_lang_tag("it").is_ok());
        assert!(check_lang_tag("de-CH").is_ok());
        assert!(check_lang_tag("").is_err());
        assert!(check_lang_tag("it_IT").is_err());
        assert!(check_email("opendata@cittametropolitana.mi.it").is_ok());
        assert!(check_email("opendata@localhost").is_err());
        assert!(check_email("a b@x.it").is_err());
        assert!(check_keyword("età").is_ok());
        assert!(check_keyword("classi di età").is_ok());
        assert!(check_keyword("x").is_err());
        assert!(check_keyword("dell'anagrafe").is_err());
        assert!(check_no_html("età < 5 anni").is_ok());
        assert!(check_no_html("<p>ciao</p>").is_err());
        assert!(check_text("a\u{7}b").is_err());
        assert!(check_text("riga 1\nriga 2\ttab").is_ok());
        assert!(check_text("  ").is_err());
    }
}
