//! Rules shared by the row validators (anagrafe, servizi sociali).

use super::{text, Issue, Repair};
use crate::cf;

/// Trims and collapses whitespace (see [`text::clean`]); a value with bytes
/// that were not valid in the file's encoding (U+FFFD) or with control
/// characters is reported as `encoding_invalid` (an error: garbled names
/// must not be stored). `None` for an empty cell.
pub(crate) fn clean_text(
    field: &'static str,
    title: &str,
    raw: &str,
    issues: &mut Vec<Issue>,
    repairs: &mut Vec<Repair>,
) -> Option<String> {
    let v = text::clean(field, raw, repairs)?;
    if v.chars().any(|c| c == '\u{fffd}' || c.is_control()) {
        issues.push(Issue::error(
            field,
            "encoding_invalid",
            format!(
                "«{title}» contiene caratteri non leggibili: il file non è nella codifica dichiarata \
                 (verificare `encoding` nella definizione della sorgente)"
            ),
            Some(raw),
        ));
    }
    Some(v)
}

/// Checks a codice fiscale (already trimmed and upper-cased): inner spaces
/// are removed (`whitespace` repair), a letter `O` typed for a `0` is fixed
/// (`cf_letter_o`), an omocodic code is accepted (`omocodia_decoded`).
/// Returns the code and what it encodes, or `None` after reporting the
/// error with the codice fiscale's own rule code (`cf_check_char`, ...).
pub(crate) fn tax_code(
    field: &'static str,
    code: &str,
    issues: &mut Vec<Issue>,
    repairs: &mut Vec<Repair>,
) -> Option<(String, cf::CfInfo)> {
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() != code.len() {
        repairs.push(Repair {
            field,
            kind: "whitespace",
        });
    }
    match cf::parse(&compact) {
        Ok(info) => {
            if info.omocodia_level > 0 {
                repairs.push(Repair {
                    field,
                    kind: "omocodia_decoded",
                });
            }
            Some((compact, info))
        }
        Err(e) => {
            if let Some(fixed) = cf::repair_letter_o(&compact) {
                if let Ok(info) = cf::parse(&fixed) {
                    repairs.push(Repair {
                        field,
                        kind: "cf_letter_o",
                    });
                    return Some((fixed, info));
                }
            }
            issues.push(Issue::error(field, e.code(), e.message_it(), Some(code)));
            None
        }
    }
}
