//! Minimal RDF graph representation and hand-written, deterministic serialisers
//! (Turtle and RDF/XML).
//!
//! The graph is a list of *node descriptions* in a fixed order.  Anonymous blank
//! nodes are never labelled: they are nested inside the description that
//! references them (`[ … ]` in Turtle, a nested node element in RDF/XML), so the
//! output never depends on blank-node numbering and is byte-identical across
//! runs for the same input.
//!
//! Predicates, classes and datatypes are [`Name`]s, i.e. a known [`Namespace`]
//! plus a local name, so that both serialisers can always write them as
//! prefixed names / XML qualified names.  Object IRIs are always written in full.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::error::RdfXmlError;

/// A namespace with its conventional prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace {
    /// Prefix used in Turtle (`@prefix`) and RDF/XML (`xmlns:`).
    pub prefix: &'static str,
    /// Namespace IRI.
    pub iri: &'static str,
}

impl Namespace {
    /// The qualified name `prefix:local` in this namespace.
    pub const fn name(self, local: &'static str) -> Name {
        Name { ns: self, local }
    }
}

/// Namespaces used by DCAT-AP_IT output.
pub mod ns {
    use super::Namespace;

    /// W3C DCAT.
    pub const DCAT: Namespace = Namespace {
        prefix: "dcat",
        iri: "http://www.w3.org/ns/dcat#",
    };
    /// DCAT-AP_IT (note: `http`, no `www`).
    pub const DCATAPIT: Namespace = Namespace {
        prefix: "dcatapit",
        iri: "http://dati.gov.it/onto/dcatapit#",
    };
    /// DCMI terms.
    pub const DCT: Namespace = Namespace {
        prefix: "dct",
        iri: "http://purl.org/dc/terms/",
    };
    /// FOAF.
    pub const FOAF: Namespace = Namespace {
        prefix: "foaf",
        iri: "http://xmlns.com/foaf/0.1/",
    };
    /// ISA Core Location vocabulary.
    pub const LOCN: Namespace = Namespace {
        prefix: "locn",
        iri: "http://www.w3.org/ns/locn#",
    };
    /// OWL.
    pub const OWL: Namespace = Namespace {
        prefix: "owl",
        iri: "http://www.w3.org/2002/07/owl#",
    };
    /// RDF.
    pub const RDF: Namespace = Namespace {
        prefix: "rdf",
        iri: "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    };
    /// SPDX (checksums).
    pub const SPDX: Namespace = Namespace {
        prefix: "spdx",
        iri: "http://spdx.org/rdf/terms#",
    };
    /// vCard.
    pub const VCARD: Namespace = Namespace {
        prefix: "vcard",
        iri: "http://www.w3.org/2006/vcard/ns#",
    };
    /// XML Schema datatypes.
    pub const XSD: Namespace = Namespace {
        prefix: "xsd",
        iri: "http://www.w3.org/2001/XMLSchema#",
    };
}

/// A qualified name (namespace + local name) used for predicates, classes and
/// datatypes.  The local name must be a plain XML NCName / Turtle `PN_LOCAL`
/// (letters, digits, `_`, `-`, not starting with a digit or `-`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name {
    /// Namespace.
    pub ns: Namespace,
    /// Local part.
    pub local: &'static str,
}

impl Name {
    /// Full IRI of this name.
    pub fn iri(&self) -> String {
        format!("{}{}", self.ns.iri, self.local)
    }

    fn qname(&self) -> String {
        format!("{}:{}", self.ns.prefix, self.local)
    }
}

/// Common XSD datatypes.
pub mod xsd {
    use super::{ns::XSD, Name};
    /// `xsd:string`
    pub const STRING: Name = XSD.name("string");
    /// `xsd:date`
    pub const DATE: Name = XSD.name("date");
    /// `xsd:dateTime`
    pub const DATE_TIME: Name = XSD.name("dateTime");
    /// `xsd:decimal`
    pub const DECIMAL: Name = XSD.name("decimal");
    /// `xsd:integer`
    pub const INTEGER: Name = XSD.name("integer");
    /// `xsd:nonNegativeInteger`
    pub const NON_NEGATIVE_INTEGER: Name = XSD.name("nonNegativeInteger");
    /// `xsd:hexBinary`
    pub const HEX_BINARY: Name = XSD.name("hexBinary");
    /// `xsd:anyURI`
    pub const ANY_URI: Name = XSD.name("anyURI");
}

/// An RDF literal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Literal {
    /// Lexical form (unescaped).
    pub lexical: String,
    /// Plain, language-tagged or datatyped.
    pub kind: LiteralKind,
}

/// Kind of literal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LiteralKind {
    /// Simple literal (`xsd:string`).
    Plain,
    /// Language-tagged string; the tag must be a syntactically valid BCP 47 tag.
    Lang(String),
    /// Datatyped literal.
    Typed(Name),
}

impl Literal {
    /// Simple string literal.
    pub fn plain(s: impl Into<String>) -> Self {
        Literal {
            lexical: s.into(),
            kind: LiteralKind::Plain,
        }
    }
    /// Language-tagged literal.
    pub fn lang(s: impl Into<String>, lang: impl Into<String>) -> Self {
        Literal {
            lexical: s.into(),
            kind: LiteralKind::Lang(lang.into()),
        }
    }
    /// Datatyped literal.
    pub fn typed(s: impl Into<String>, datatype: Name) -> Self {
        Literal {
            lexical: s.into(),
            kind: LiteralKind::Typed(datatype),
        }
    }
}

/// Object of a triple.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Object {
    /// An IRI (written in full).  Should be a valid absolute IRI; characters
    /// that may not appear in an IRI are percent-encoded by both serialisers
    /// (see [`safe_iri`]), so the output always parses and both formats agree.
    Iri(String),
    /// A literal.
    Literal(Literal),
    /// An anonymous blank node, described inline.
    Node(Box<Node>),
}

/// Description of one node: its types and predicate/object pairs, in output order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    /// Subject IRI; `None` for an anonymous blank node.
    pub subject: Option<String>,
    /// `rdf:type` values, in output order.
    pub types: Vec<Name>,
    /// Predicate/object pairs in output order.  Consecutive pairs with the same
    /// predicate are written as an object list.
    pub props: Vec<(Name, Object)>,
}

impl Node {
    /// A node with an IRI subject.
    pub fn iri(subject: impl Into<String>) -> Self {
        Node {
            subject: Some(subject.into()),
            ..Node::default()
        }
    }

    /// An anonymous blank node.
    pub fn blank() -> Self {
        Node::default()
    }

    /// Add a type.
    pub fn a(&mut self, class: Name) -> &mut Self {
        self.types.push(class);
        self
    }

    /// Add a predicate with an IRI object.
    pub fn iri_prop(&mut self, p: Name, iri: impl Into<String>) -> &mut Self {
        self.props.push((p, Object::Iri(iri.into())));
        self
    }

    /// Add a predicate with a literal object.
    pub fn lit(&mut self, p: Name, lit: Literal) -> &mut Self {
        self.props.push((p, Object::Literal(lit)));
        self
    }

    /// Add a predicate with a nested blank node.
    pub fn node(&mut self, p: Name, node: Node) -> &mut Self {
        self.props.push((p, Object::Node(Box::new(node))));
        self
    }

    fn is_empty(&self) -> bool {
        self.types.is_empty() && self.props.is_empty()
    }

    fn collect_namespaces(&self, out: &mut BTreeMap<&'static str, &'static str>) {
        for t in &self.types {
            out.insert(t.ns.prefix, t.ns.iri);
        }
        for (p, o) in &self.props {
            out.insert(p.ns.prefix, p.ns.iri);
            match o {
                Object::Literal(Literal {
                    kind: LiteralKind::Typed(dt),
                    ..
                }) => {
                    out.insert(dt.ns.prefix, dt.ns.iri);
                }
                Object::Node(n) => n.collect_namespaces(out),
                _ => {}
            }
        }
    }
}

/// An ordered list of node descriptions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    /// Top-level node descriptions, in output order.
    pub nodes: Vec<Node>,
}

impl Graph {
    /// Namespaces actually used, sorted by prefix.
    fn namespaces(&self) -> BTreeMap<&'static str, &'static str> {
        let mut m = BTreeMap::new();
        for n in &self.nodes {
            n.collect_namespaces(&mut m);
        }
        m
    }

    /// Serialise as Turtle.  Only the prefixes actually used are declared,
    /// sorted by prefix; nodes are written in graph order.
    pub fn to_turtle(&self) -> String {
        let mut out = String::new();
        for (prefix, iri) in self.namespaces() {
            let _ = writeln!(out, "@prefix {prefix}: <{iri}> .");
        }
        for node in &self.nodes {
            if node.is_empty() {
                continue;
            }
            out.push('\n');
            match &node.subject {
                Some(s) => {
                    let _ = writeln!(out, "<{}>", safe_iri(s));
                    write_turtle_body(&mut out, node, 4);
                    out.push_str(" .\n");
                }
                None => {
                    out.push_str("[\n");
                    write_turtle_body(&mut out, node, 4);
                    out.push_str("\n] .\n");
                }
            }
        }
        out
    }

    /// Serialise as RDF/XML.  Fails only if a literal contains a character that
    /// XML 1.0 cannot represent (e.g. U+0000–U+0008); the DCAT-AP_IT builders
    /// reject such text up front, so this never fails for a built catalogue.
    pub fn to_rdf_xml(&self) -> Result<String, RdfXmlError> {
        let mut out = String::new();
        out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rdf:RDF");
        let mut nss = self.namespaces();
        nss.insert(ns::RDF.prefix, ns::RDF.iri);
        for (prefix, iri) in nss {
            let _ = write!(out, "\n    xmlns:{prefix}=\"{}\"", xml_attr(iri, "namespace")?);
        }
        out.push_str(">\n");
        for node in &self.nodes {
            if node.is_empty() {
                continue;
            }
            write_xml_node(&mut out, node, 1)?;
        }
        out.push_str("</rdf:RDF>\n");
        Ok(out)
    }
}

/// Percent-encode (UTF-8) every character that cannot appear in an IRI:
/// controls, space, `<>"{}|^`\\`, DEL and Unicode noncharacters.  Valid IRIs
/// (e.g. any [`crate::Iri`]) are returned unchanged.
pub fn safe_iri(s: &str) -> Cow<'_, str> {
    fn bad(c: char) -> bool {
        let u = c as u32;
        u <= 0x20
            || u == 0x7f
            || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\')
            || (0xFDD0..=0xFDEF).contains(&u)
            || (u & 0xFFFE) == 0xFFFE
    }
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut buf = [0u8; 4];
    for c in s.chars() {
        if bad(c) {
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

// ---------------------------------------------------------------------------
// Turtle
// ---------------------------------------------------------------------------

/// Escape a string for a Turtle `"…"` literal: `"` `\` and line breaks are
/// escaped with `ECHAR`s, other C0 controls and DEL with `\uXXXX`; everything
/// else (including all non-ASCII characters) is kept verbatim as UTF-8.
pub fn escape_turtle_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn turtle_literal(l: &Literal) -> String {
    let body = escape_turtle_string(&l.lexical);
    match &l.kind {
        LiteralKind::Plain => format!("\"{body}\""),
        LiteralKind::Lang(tag) => format!("\"{body}\"@{tag}"),
        LiteralKind::Typed(dt) => format!("\"{body}\"^^{}", dt.qname()),
    }
}

fn pad(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

/// Write the predicate-object list of `node`, each predicate on its own line
/// at `indent`; no trailing terminator.
fn write_turtle_body(out: &mut String, node: &Node, indent: usize) {
    let mut first = true;
    let mut sep = |out: &mut String| {
        if !first {
            out.push_str(" ;\n");
        }
        first = false;
    };
    if !node.types.is_empty() {
        sep(out);
        pad(out, indent);
        out.push_str("a ");
        let types: Vec<String> = node.types.iter().map(Name::qname).collect();
        out.push_str(&types.join(", "));
    }
    let mut i = 0;
    while i < node.props.len() {
        let p = node.props[i].0;
        let mut j = i;
        while j < node.props.len() && node.props[j].0 == p {
            j += 1;
        }
        sep(out);
        pad(out, indent);
        out.push_str(&p.qname());
        out.push(' ');
        for (k, (_, o)) in node.props[i..j].iter().enumerate() {
            let obj_indent = if k == 0 {
                indent
            } else {
                out.push_str(",\n");
                pad(out, indent + 4);
                indent + 4
            };
            write_turtle_object(out, o, obj_indent);
        }
        i = j;
    }
}

fn write_turtle_object(out: &mut String, o: &Object, indent: usize) {
    match o {
        Object::Iri(iri) => {
            out.push('<');
            out.push_str(&safe_iri(iri));
            out.push('>');
        }
        Object::Literal(l) => out.push_str(&turtle_literal(l)),
        Object::Node(n) => {
            if n.is_empty() {
                out.push_str("[]");
            } else {
                out.push_str("[\n");
                write_turtle_body(out, n, indent + 4);
                out.push('\n');
                pad(out, indent);
                out.push(']');
            }
        }
    }
}

// ---------------------------------------------------------------------------
// RDF/XML
// ---------------------------------------------------------------------------

fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
        || ('\u{20}'..='\u{D7FF}').contains(&c)
        || ('\u{E000}'..='\u{FFFD}').contains(&c)
        || ('\u{10000}'..='\u{10FFFF}').contains(&c)
}

/// Escape text content for XML.  `\r` is written as a character reference so
/// that it survives XML end-of-line normalisation.
pub fn escape_xml_text(s: &str, context: &str) -> Result<String, RdfXmlError> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if xml_allowed(c) => out.push(c),
            c => {
                return Err(RdfXmlError::UnrepresentableChar {
                    code: c as u32,
                    context: context.to_string(),
                })
            }
        }
    }
    Ok(out)
}

fn xml_attr(s: &str, context: &str) -> Result<String, RdfXmlError> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if xml_allowed(c) => out.push(c),
            c => {
                return Err(RdfXmlError::UnrepresentableChar {
                    code: c as u32,
                    context: context.to_string(),
                })
            }
        }
    }
    Ok(out)
}

fn write_xml_node(out: &mut String, node: &Node, level: usize) -> Result<(), RdfXmlError> {
    let indent = level * 2;
    let element = match node.types.first() {
        Some(t) => t.qname(),
        None => "rdf:Description".to_string(),
    };
    pad(out, indent);
    out.push('<');
    out.push_str(&element);
    if let Some(s) = &node.subject {
        let _ = write!(out, " rdf:about=\"{}\"", xml_attr(&safe_iri(s), s)?);
    }
    out.push_str(">\n");
    let ctx = node.subject.as_deref().unwrap_or("blank node");
    for t in node.types.iter().skip(1) {
        pad(out, indent + 2);
        let _ = writeln!(out, "<rdf:type rdf:resource=\"{}\"/>", xml_attr(&t.iri(), ctx)?);
    }
    for (p, o) in &node.props {
        let pq = p.qname();
        pad(out, indent + 2);
        match o {
            Object::Iri(iri) => {
                let _ = writeln!(out, "<{pq} rdf:resource=\"{}\"/>", xml_attr(&safe_iri(iri), ctx)?);
            }
            Object::Literal(l) => {
                let attrs = match &l.kind {
                    LiteralKind::Plain => String::new(),
                    LiteralKind::Lang(tag) => format!(" xml:lang=\"{}\"", xml_attr(tag, ctx)?),
                    LiteralKind::Typed(dt) => {
                        format!(" rdf:datatype=\"{}\"", xml_attr(&dt.iri(), ctx)?)
                    }
                };
                let text = escape_xml_text(&l.lexical, &format!("{ctx} {pq}"))?;
                let _ = writeln!(out, "<{pq}{attrs}>{text}</{pq}>");
            }
            Object::Node(n) => {
                if n.is_empty() {
                    let _ = writeln!(out, "<{pq} rdf:parseType=\"Resource\"/>");
                } else {
                    let _ = writeln!(out, "<{pq}>");
                    write_xml_node(out, n, level + 2)?;
                    pad(out, indent + 2);
                    let _ = writeln!(out, "</{pq}>");
                }
            }
        }
    }
    pad(out, indent);
    let _ = writeln!(out, "</{element}>");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turtle_escapes() {
        assert_eq!(
            escape_turtle_string("a \"q\" \\ b\nc\r\td"),
            "a \\\"q\\\" \\\\ b\\nc\\r\\td"
        );
        assert_eq!(escape_turtle_string("\u{0}\u{1f}\u{7f}"), "\\u0000\\u001F\\u007F");
        assert_eq!(escape_turtle_string("Città 1° €"), "Città 1° €");
    }

    #[test]
    fn xml_escapes_and_rejects() {
        assert_eq!(
            escape_xml_text("a<b>&c\r\n", "t").unwrap(),
            "a&lt;b&gt;&amp;c&#13;\n"
        );
        assert!(escape_xml_text("bell\u{7}", "t").is_err());
        assert!(escape_xml_text("\u{FFFE}", "t").is_err());
    }

    #[test]
    fn unsafe_iri_characters_are_percent_encoded() {
        assert_eq!(
            safe_iri("https://ex.org/città?q=1#f"),
            "https://ex.org/città?q=1#f"
        );
        assert_eq!(safe_iri("https://ex.org/a b<c>"), "https://ex.org/a%20b%3Cc%3E");
        assert_eq!(safe_iri("https://ex.org/\u{FFFE}"), "https://ex.org/%EF%BF%BE");
        let mut n = Node::iri("https://ex.org/a b");
        n.iri_prop(ns::DCT.name("source"), "https://ex.org/\"q\"");
        let g = Graph { nodes: vec![n] };
        assert!(g
            .to_turtle()
            .contains("<https://ex.org/a%20b>\n    dct:source <https://ex.org/%22q%22> ."));
        let xml = g.to_rdf_xml().unwrap();
        assert!(xml.contains("rdf:about=\"https://ex.org/a%20b\""));
        assert!(xml.contains("rdf:resource=\"https://ex.org/%22q%22\""));
    }

    #[test]
    fn nested_and_lists() {
        let mut n = Node::iri("http://ex.org/s");
        n.a(ns::DCAT.name("Dataset"))
            .lit(ns::DCT.name("title"), Literal::lang("x", "it"))
            .lit(ns::DCT.name("title"), Literal::lang("y", "en"));
        let mut b = Node::blank();
        b.a(ns::DCT.name("PeriodOfTime")).lit(
            ns::DCAT.name("startDate"),
            Literal::typed("2020-01-01", xsd::DATE),
        );
        n.node(ns::DCT.name("temporal"), b);
        let g = Graph { nodes: vec![n] };
        let ttl = g.to_turtle();
        let expected = "@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<http://ex.org/s>
    a dcat:Dataset ;
    dct:title \"x\"@it,
        \"y\"@en ;
    dct:temporal [
        a dct:PeriodOfTime ;
        dcat:startDate \"2020-01-01\"^^xsd:date
    ] .
";
        assert_eq!(ttl, expected);
        let xml = g.to_rdf_xml().unwrap();
        assert!(xml.contains("<dcat:Dataset rdf:about=\"http://ex.org/s\">"));
        assert!(xml.contains("<dct:title xml:lang=\"it\">x</dct:title>"));
        assert!(xml.contains(
            "<dcat:startDate rdf:datatype=\"http://www.w3.org/2001/XMLSchema#date\">2020-01-01</dcat:startDate>"
        ));
    }
}
