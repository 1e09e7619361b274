//! The initial source definitions of the 133 comuni (`comuni/<istat>.toml`),
//! rendered from the gestionali's layouts.

use super::layouts::{self, Col, Layout};
use super::sociale_layouts::{self, SCol, SocialLayout};
use metrodati_interop::refdata::{self, ComuneCm};
use std::fmt::Write as _;
use std::path::Path;

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn render_source(out: &mut String, istat: &str, layout: &Layout) {
    out.push_str("\n[[anagrafe]]\n");
    let _ = writeln!(out, "name = {}", toml_str(layout.source_name));
    let _ = writeln!(
        out,
        "url = {}",
        toml_str(&format!("sample/anagrafe/{istat}/{}", layout.file_pattern))
    );
    let _ = writeln!(out, "read = {}", layout.read);
    out.push_str("\n[anagrafe.columns]\n");
    for col in layout.columns {
        let Col::Map {
            target,
            column,
            values,
            date_format,
        } = col
        else {
            continue;
        };
        render_column(out, target.name(), column, values, *date_format);
    }
}

/// A `[[sociale]]` block.
fn render_sociale(out: &mut String, istat: &str, layout: &SocialLayout) {
    out.push_str("\n[[sociale]]\n");
    let _ = writeln!(out, "name = {}", toml_str(layout.source_name));
    let _ = writeln!(out, "kind = {}", toml_str(layout.kind.name()));
    if let Some(m) = layout.module {
        let _ = writeln!(out, "module = {}", toml_str(m));
    }
    let _ = writeln!(
        out,
        "url = {}",
        toml_str(&format!("sample/sociale/{istat}/{}", layout.file_pattern))
    );
    let _ = writeln!(out, "read = {}", layout.read);
    out.push_str("\n[sociale.columns]\n");
    for col in layout.columns {
        let SCol::Map {
            target,
            column,
            values,
            date_format,
        } = col
        else {
            continue;
        };
        render_column(out, target.name(), column, values, *date_format);
    }
}

fn render_column(
    out: &mut String,
    target: &str,
    column: &str,
    values: &[(&str, &str)],
    date_format: Option<&str>,
) {
    let mut parts: Vec<String> = Vec::new();
    if !values.is_empty() {
        let v: Vec<String> = values
            .iter()
            .map(|(s, t)| format!("{} = {}", toml_str(s), toml_str(t)))
            .collect();
        parts.push(format!("values = {{ {} }}", v.join(", ")));
    }
    if let Some(f) = date_format {
        parts.push(format!("date_format = {}", toml_str(f)));
    }
    if parts.is_empty() {
        let _ = writeln!(out, "{target} = {}", toml_str(column));
    } else {
        let _ = writeln!(
            out,
            "{target} = {{ column = {}, {} }}",
            toml_str(column),
            parts.join(", ")
        );
    }
}

/// The initial source definition of a comune: deterministic TOML, with a
/// comment header naming the comune and its gestionale. The exports'
/// columns are listed in file order.
pub fn render_definition(comune: &ComuneCm) -> String {
    let sources = layouts::layouts_of(comune);
    let first = sources[0];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} (ISTAT {}, codice catastale {}): anagrafe and Cartella Sociale exports.",
        comune.denominazione, comune.codice_istat, comune.codice_catastale
    );
    let _ = writeln!(out, "# Gestionale: {} ({}).", first.gestionale, first.summary);
    let cartella = sociale_layouts::cartella_of(comune);
    let _ = writeln!(
        out,
        "# Cartella sociale: {} ({}).",
        cartella.name, cartella.summary
    );
    out.push_str(
        "# Initial definition, rendered by `metrodati sample --write-definitions`\n\
         # (metrodati_pipelines::sample::render_definition).\n\n",
    );
    let _ = writeln!(out, "comune = {}", toml_str(&comune.codice_istat));
    let _ = writeln!(out, "denominazione = {}", toml_str(&comune.denominazione));
    let _ = writeln!(out, "gestionale = {}", toml_str(first.gestionale));
    let _ = writeln!(out, "note = {}", toml_str(first.note));
    for layout in sources {
        render_source(&mut out, &comune.codice_istat, layout);
    }
    for layout in cartella.sources {
        render_sociale(&mut out, &comune.codice_istat, layout);
    }
    out
}

/// Writes the rendered definition of each of the 133 comuni to
/// `dir/<istat>.toml` (creating `dir`); returns how many were written.
pub fn write_definitions(dir: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let mut n = 0;
    for c in refdata::comuni_cm() {
        std::fs::write(dir.join(format!("{}.toml", c.codice_istat)), render_definition(c))?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceDefinition;

    #[test]
    fn toml_strings() {
        assert_eq!(toml_str("a\"b\\c"), r#""a\"b\\c""#);
    }

    #[test]
    fn every_rendered_definition_parses_and_keeps_the_layout() {
        for c in refdata::comuni_cm() {
            let text = render_definition(c);
            let path = std::path::PathBuf::from(format!("comuni/{}.toml", c.codice_istat));
            let def = SourceDefinition::parse(&path, &text).unwrap_or_else(|e| {
                panic!(
                    "{}: {}",
                    c.codice_istat,
                    e.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
                )
            });
            assert_eq!(def.istat(), c.codice_istat);
            let layouts = layouts::layouts_of(c);
            assert_eq!(def.anagrafe.len(), layouts.len());
            for (src, l) in def.anagrafe.iter().zip(&layouts) {
                assert_eq!(
                    layouts::find(def.gestionale.as_deref(), &src.name).map(|x| x.file_pattern),
                    Some(l.file_pattern)
                );
                assert!(src
                    .url
                    .starts_with(&format!("sample/anagrafe/{}/", c.codice_istat)));
                assert!(src.url.contains('*'));
            }
            assert_eq!(render_definition(c), text, "deterministic");
        }
    }
}
