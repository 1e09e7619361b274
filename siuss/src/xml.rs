//! A small XML writer with correct escaping, and the XML character rules.
//!
//! Output is UTF-8, indented by two spaces, one element per line, with
//! attributes in the order given (the XSD declaration order) — the same input
//! always gives the same bytes.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The namespace of both SIUSS schemas.
pub const NAMESPACE: &str = "http://inps.it/Casellario";

/// Whether `c` may appear in an XML 1.0 document (`Char` production):
/// `#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]`.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes an attribute value for a double-quoted attribute: `&`, `<`, `>`,
/// `"`, `'` as entities, and tab, line feed, carriage return as character
/// references (otherwise attribute-value normalisation would turn them into
/// spaces). A character not allowed in XML (validation rejects them before)
/// becomes U+FFFD rather than producing a malformed document.
pub fn escape_attr(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| matches!(c, '&' | '<' | '>' | '"' | '\'' | '\t' | '\n' | '\r') || !is_xml_char(c))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if !is_xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Escapes character data: `&`, `<`, `>` and carriage return.
pub fn escape_text(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| matches!(c, '&' | '<' | '>' | '\r') || !is_xml_char(c))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if !is_xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Attributes of one element: `(name, value)`; `None` values are omitted.
pub(crate) type Attrs<'a> = Vec<(&'static str, Option<String>)>;

pub(crate) struct XmlWriter {
    out: String,
    open: Vec<&'static str>,
}

impl XmlWriter {
    /// A document with the XML declaration.
    pub(crate) fn new() -> XmlWriter {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            open: Vec::new(),
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
    }

    fn tag(&mut self, name: &'static str, attrs: &Attrs<'_>) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            if let Some(v) = v {
                let _ = write!(self.out, " {k}=\"{}\"", escape_attr(v));
            }
        }
    }

    /// `<name attrs>` and descend.
    pub(crate) fn start(&mut self, name: &'static str, attrs: Attrs<'_>) {
        self.tag(name, &attrs);
        self.out.push_str(">\n");
        self.open.push(name);
    }

    /// `<name attrs/>`.
    pub(crate) fn empty(&mut self, name: &'static str, attrs: Attrs<'_>) {
        self.tag(name, &attrs);
        self.out.push_str("/>\n");
    }

    /// `<name>text</name>`.
    pub(crate) fn text_element(&mut self, name: &'static str, text: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{name}>{}</{name}>", escape_text(text));
    }

    /// Closes the innermost open element.
    pub(crate) fn end(&mut self) {
        let name = self.open.pop().expect("end() without start()");
        self.indent();
        let _ = writeln!(self.out, "</{name}>");
    }

    /// The document; every element must be closed.
    pub(crate) fn finish(self) -> String {
        assert!(self.open.is_empty(), "unclosed elements: {:?}", self.open);
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape_attr("D'Alò & <Figli> \"s.r.l.\""),
            "D&apos;Alò &amp; &lt;Figli&gt; &quot;s.r.l.&quot;"
        );
        assert_eq!(escape_attr("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
        assert_eq!(escape_attr("a\u{1}b"), "a\u{FFFD}b");
        assert!(matches!(escape_attr("Niccolò"), Cow::Borrowed(_)));
        assert_eq!(escape_text("A&B<C>"), "A&amp;B&lt;C&gt;");
        assert!(is_xml_char('\u{10FFFF}'));
        assert!(!is_xml_char('\u{FFFE}'));
        assert!(!is_xml_char('\u{0}'));
    }

    #[test]
    fn writer() {
        let mut w = XmlWriter::new();
        w.start("A", vec![("x", Some("1".into())), ("y", None)]);
        w.empty("B", vec![("z", Some("<".into()))]);
        w.text_element("C", "t&");
        w.end();
        assert_eq!(
            w.finish(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<A x=\"1\">\n  <B z=\"&lt;\"/>\n  <C>t&amp;</C>\n</A>\n"
        );
    }
}
