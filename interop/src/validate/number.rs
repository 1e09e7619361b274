//! Decimal numbers as comuni export them: `1.234,50` with a decimal comma
//! and a thousands separator, `1234.5` from typed spreadsheet cells.
//!
//! Same semantics as `metrodati_connectors::spec::parse_decimal` (interop
//! does not depend on the connectors): the source definition's
//! `decimal_comma` and `thousands_separator` say how to read the text.

/// How a source writes numbers (from its `read` options).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NumberFormat {
    /// `,` is the decimal separator.
    pub decimal_comma: bool,
    /// Grouping character, e.g. `.` with a decimal comma.
    pub thousands: Option<char>,
}

/// Parses a decimal number. Surrounding whitespace and a leading `+`/`-`
/// are accepted; with a thousands separator, groups must be well formed
/// (1–3 leading digits, then groups of exactly 3). Exponents are not
/// accepted (amounts never have one). `None` for empty input, garbage, a
/// second decimal separator or misplaced grouping.
///
/// ```
/// use metrodati_interop::validate::number::{parse_decimal, NumberFormat};
/// let it = NumberFormat { decimal_comma: true, thousands: Some('.') };
/// assert_eq!(parse_decimal("1.234,50", it), Some(1234.5));
/// assert_eq!(parse_decimal("1234.5", NumberFormat::default()), Some(1234.5));
/// assert_eq!(parse_decimal("1,2,3", it), None);
/// ```
pub fn parse_decimal(s: &str, f: NumberFormat) -> Option<f64> {
    let s = s.trim();
    let dec = if f.decimal_comma { ',' } else { '.' };
    let thousands = f.thousands.filter(|&t| t != dec);
    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s.strip_prefix('+').unwrap_or(s)),
    };
    let (int_part, frac) = match body.split_once(dec) {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    let int_digits = match thousands {
        Some(t) if int_part.contains(t) => {
            let groups: Vec<&str> = int_part.split(t).collect();
            if !(1..=3).contains(&groups[0].len()) || groups[1..].iter().any(|g| g.len() != 3) {
                return None;
            }
            groups.concat()
        }
        _ => int_part.to_string(),
    };
    if (int_digits.is_empty() && frac.is_empty())
        || !int_digits.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int_digits = if int_digits.is_empty() { "0" } else { &int_digits };
    let frac = if frac.is_empty() { "0" } else { frac };
    format!("{sign}{int_digits}.{frac}")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// Strips a euro sign or `EUR` (before or after the number) and the spaces
/// around it; `None` when there was none.
pub fn strip_currency(s: &str) -> Option<String> {
    let t = s.trim();
    for sym in ["€", "EUR", "Eur", "eur"] {
        if let Some(rest) = t.strip_prefix(sym).or_else(|| t.strip_suffix(sym)) {
            return Some(rest.trim().to_string());
        }
    }
    None
}

/// Rounds to cents.
pub fn cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const IT: NumberFormat = NumberFormat {
        decimal_comma: true,
        thousands: Some('.'),
    };
    const PLAIN: NumberFormat = NumberFormat {
        decimal_comma: false,
        thousands: None,
    };

    #[test]
    fn italian_amounts() {
        assert_eq!(parse_decimal("1.234,50", IT), Some(1234.5));
        assert_eq!(parse_decimal("1.234.567,01", IT), Some(1_234_567.01));
        assert_eq!(parse_decimal("250", IT), Some(250.0));
        assert_eq!(parse_decimal("250,5", IT), Some(250.5));
        assert_eq!(parse_decimal(" -3,5 ", IT), Some(-3.5));
        assert_eq!(parse_decimal(",5", IT), Some(0.5));
        assert_eq!(parse_decimal("1.000", IT), Some(1000.0));
    }

    #[test]
    fn malformed_amounts() {
        for bad in [
            "", " ", "1,2,3", "12.34,5", "1.23,4", "1 234,50", "abc", "12a", "1e3", ",", "-",
        ] {
            assert_eq!(parse_decimal(bad, IT), None, "{bad}");
        }
        // A typed spreadsheet number read with the Italian convention is
        // ambiguous, so it is not guessed.
        assert_eq!(parse_decimal("1234.5", IT), None);
    }

    #[test]
    fn plain_numbers() {
        assert_eq!(parse_decimal("1234.5", PLAIN), Some(1234.5));
        assert_eq!(parse_decimal("1234", PLAIN), Some(1234.0));
        assert_eq!(parse_decimal("1,234.5", PLAIN), None);
        let en = NumberFormat {
            decimal_comma: false,
            thousands: Some(','),
        };
        assert_eq!(parse_decimal("1,234.5", en), Some(1234.5));
        // A thousands separator equal to the decimal one is ignored.
        let same = NumberFormat {
            decimal_comma: true,
            thousands: Some(','),
        };
        assert_eq!(parse_decimal("3,5", same), Some(3.5));
    }

    #[test]
    fn currency_and_rounding() {
        assert_eq!(strip_currency("€ 1.234,50").as_deref(), Some("1.234,50"));
        assert_eq!(strip_currency("80,00 EUR").as_deref(), Some("80,00"));
        assert_eq!(strip_currency("80,00"), None);
        assert_eq!(cents(10.005_000_1), 10.01);
        assert_eq!(cents(1234.5), 1234.5);
    }
}
