//! Character encodings of text sources, and streaming transcoding to UTF-8.
//!
//! Municipal exports come as UTF-8 (with or without BOM), windows-1252 from
//! older Windows tools, and sometimes UTF-16 from Excel's "Unicode text".
//!
//! # Invalid bytes become U+FFFD
//!
//! Decoding never fails a file: a byte sequence that is not valid in the
//! chosen encoding (e.g. a windows-1252 `ò`, byte `0xF2`, in a file declared
//! or detected as UTF-8) is replaced by U+FFFD REPLACEMENT CHARACTER (`�`),
//! once per invalid sequence, and reading goes on. This is silent here on
//! purpose: the damaged value reaches the pipeline, whose validation rejects
//! values containing U+FFFD so that a data steward sees them in quarantine
//! instead of losing the whole file. Only windows-1252 can decode every byte,
//! so with it nothing is ever replaced (but a UTF-8 file read as windows-1252
//! gives mojibake such as `Ã²`).
//!
//! # Automatic detection
//!
//! [`EncodingSpec::Auto`] looks at the first [`SNIFF_BYTES`] (64 KiB): a BOM
//! decides; otherwise valid UTF-8 means UTF-8, and anything else is handed to
//! `chardetng` (which, for Italian sources, answers windows-1252). When those
//! 64 KiB are pure ASCII and the file goes on, UTF-8 and windows-1252 cannot
//! be told apart: UTF-8 is chosen and a `tracing` debug event says so. If a
//! windows-1252 accent appears later, it becomes U+FFFD (see above): declare
//! `encoding = "windows1252"` for such sources.

use std::io::Read;

use encoding_rs::Encoding;
use encoding_rs_io::DecodeReaderBytesBuilder;
use serde::{Deserialize, Serialize};

use crate::error::ConnectorError;

/// How many bytes [`EncodingSpec::Auto`] looks at to guess the encoding.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// The declared encoding of a text source.
///
/// A byte-order mark, when present, always wins over the declared encoding.
///
/// `Iso88591` is decoded as windows-1252, as the WHATWG Encoding Standard
/// prescribes for the `iso-8859-1` label: windows-1252 is a superset of
/// ISO-8859-1 for all printable characters (it only differs in the C1 control
/// range 0x80–0x9F, where it has `€`, `’`, `“`… instead of control codes).
#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum EncodingSpec {
    /// BOM first; otherwise UTF-8 if the first 64 KiB are valid UTF-8,
    /// otherwise `chardetng`'s guess (typically windows-1252).
    #[default]
    Auto,
    /// UTF-8 (a BOM is stripped). Written `utf8` (alias `utf-8`).
    #[serde(alias = "utf-8")]
    Utf8,
    /// windows-1252 ("ANSI" on Italian Windows). Written `windows1252`
    /// (aliases `windows-1252`, `cp1252`).
    #[serde(alias = "windows-1252", alias = "cp1252")]
    Windows1252,
    /// ISO-8859-1 (Latin-1), decoded as windows-1252 (see above). Written
    /// `iso88591` (aliases `iso-8859-1`, `latin1`, `latin-1`).
    #[serde(alias = "iso-8859-1", alias = "latin1", alias = "latin-1")]
    Iso88591,
    /// UTF-16: endianness from the BOM, little-endian when there is none.
    /// Written `utf16` (alias `utf-16`).
    #[serde(alias = "utf-16")]
    Utf16,
}

/// Wraps `r` in a reader producing UTF-8, and tells which encoding was used.
///
/// Streaming: only up to [`SNIFF_BYTES`] are buffered for detection, the rest
/// is transcoded as it is read. A BOM is stripped. Invalid sequences become
/// U+FFFD and never fail the read (see the [module documentation](self)). The
/// detected encoding is returned (e.g. `UTF-8`, `windows-1252`, `UTF-16LE`).
pub fn decoding_reader<R: Read + Send + 'static>(
    mut r: R,
    spec: EncodingSpec,
) -> Result<(Box<dyn Read + Send>, &'static Encoding), ConnectorError> {
    let want = match spec {
        EncodingSpec::Auto => SNIFF_BYTES,
        _ => 3,
    };
    let (head, eof) = read_up_to(&mut r, want).map_err(|e| ConnectorError::io_at("input stream", e))?;

    let encoding = match Encoding::for_bom(&head) {
        Some((enc, _)) => enc,
        None => match spec {
            EncodingSpec::Auto => sniff(&head, eof),
            EncodingSpec::Utf8 => encoding_rs::UTF_8,
            EncodingSpec::Windows1252 | EncodingSpec::Iso88591 => encoding_rs::WINDOWS_1252,
            EncodingSpec::Utf16 => encoding_rs::UTF_16LE,
        },
    };

    let chained = std::io::Cursor::new(head).chain(r);
    let reader = DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .strip_bom(true)
        .build(chained);
    Ok((Box::new(reader), encoding))
}

/// Reads until `limit` bytes or end of input; returns the bytes and whether
/// the end was reached.
pub(crate) fn read_up_to<R: Read + ?Sized>(r: &mut R, limit: usize) -> std::io::Result<(Vec<u8>, bool)> {
    let mut buf = vec![0u8; limit];
    let mut filled = 0;
    while filled < limit {
        match r.read(&mut buf[filled..]) {
            Ok(0) => {
                buf.truncate(filled);
                return Ok((buf, true));
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((buf, false))
}

/// Guesses the encoding of a BOM-less prefix.
fn sniff(head: &[u8], eof: bool) -> &'static Encoding {
    if head.is_ascii() {
        if !eof {
            // Nothing tells UTF-8 from windows-1252 yet: prefer UTF-8.
            tracing::debug!(
                sniffed_bytes = head.len(),
                "encoding auto: the first {} KiB are pure ASCII, so UTF-8 and windows-1252 cannot be \
                 told apart; assuming UTF-8 (later bytes that are not UTF-8 become U+FFFD; declare \
                 the encoding if the source is windows-1252)",
                SNIFF_BYTES / 1024
            );
        }
        return encoding_rs::UTF_8;
    }
    match std::str::from_utf8(head) {
        Ok(_) => return encoding_rs::UTF_8,
        // A multi-byte character cut by the 64 KiB window is still UTF-8.
        Err(e) if e.error_len().is_none() && !eof => return encoding_rs::UTF_8,
        Err(_) => {}
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(head, eof);
    // Italian sources: the `.it` TLD hint favours windows-1252.
    detector.guess(Some(b"it"), chardetng::Utf8Detection::Allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8], spec: EncodingSpec) -> (String, &'static str) {
        let (mut r, enc) = decoding_reader(std::io::Cursor::new(bytes.to_vec()), spec).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        (s, enc.name())
    }

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(
            decode("città;€".as_bytes(), EncodingSpec::Auto),
            ("città;€".into(), "UTF-8")
        );
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice("città".as_bytes());
        assert_eq!(decode(&b, EncodingSpec::Auto), ("città".into(), "UTF-8"));
        assert_eq!(decode(&b, EncodingSpec::Utf8), ("città".into(), "UTF-8"));
        // A BOM wins over a declared encoding.
        assert_eq!(decode(&b, EncodingSpec::Windows1252), ("città".into(), "UTF-8"));
    }

    #[test]
    fn windows_1252_detected_and_declared() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode("Niccolò;D'Angelo;Città;perché");
        assert_eq!(
            decode(&bytes, EncodingSpec::Auto),
            ("Niccolò;D'Angelo;Città;perché".into(), "windows-1252")
        );
        assert_eq!(decode(&bytes, EncodingSpec::Windows1252).1, "windows-1252");
        // ISO-8859-1 is read as windows-1252; 0x80 is the euro sign there.
        assert_eq!(
            decode(&[0x80, b'5'], EncodingSpec::Iso88591),
            ("€5".into(), "windows-1252")
        );
    }

    #[test]
    fn utf16_with_bom_and_declared() {
        let mut le = vec![0xFF, 0xFE];
        for u in "Città;1".encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode(&le, EncodingSpec::Auto), ("Città;1".into(), "UTF-16LE"));

        let mut be = vec![0xFE, 0xFF];
        for u in "Città".encode_utf16() {
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(decode(&be, EncodingSpec::Auto), ("Città".into(), "UTF-16BE"));

        let bare: Vec<u8> = "ab".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(decode(&bare, EncodingSpec::Utf16), ("ab".into(), "UTF-16LE"));
    }

    #[test]
    fn utf8_cut_at_the_sniff_window_is_still_utf8() {
        // 'à' is 2 bytes; place one across the 64 KiB boundary.
        let mut text = "a".repeat(SNIFF_BYTES - 1);
        text.push('à');
        text.push_str("fine");
        let (s, enc) = decode(text.as_bytes(), EncodingSpec::Auto);
        assert_eq!(enc, "UTF-8");
        assert!(s.ends_with("àfine"));
    }

    #[test]
    fn truncated_utf8_at_eof_is_not_utf8() {
        let bytes = b"abc\xC3";
        let (_, enc) = decode(bytes, EncodingSpec::Auto);
        assert_ne!(enc, "UTF-8");
    }

    /// A minimal subscriber that records the events it sees.
    struct Capture(std::sync::Arc<std::sync::Mutex<Vec<(tracing::Level, String)>>>);

    impl tracing::Subscriber for Capture {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            struct Message(String);
            impl tracing::field::Visit for Message {
                fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                    if field.name() == "message" {
                        self.0 = format!("{value:?}");
                    }
                }
            }
            let mut m = Message(String::new());
            event.record(&mut m);
            self.0.lock().unwrap().push((*event.metadata().level(), m.0));
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    fn decode_logged(
        bytes: &[u8],
        spec: EncodingSpec,
    ) -> ((String, &'static str), Vec<(tracing::Level, String)>) {
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let out = tracing::subscriber::with_default(Capture(log.clone()), || decode(bytes, spec));
        let events = log.lock().unwrap().clone();
        (out, events)
    }

    #[test]
    fn an_ascii_prefix_prefers_utf8_and_says_so() {
        // 64 KiB of ASCII, then a windows-1252 "ò" (0xF2): the guess is blind.
        let mut bytes = b"codice;nome\n".repeat(SNIFF_BYTES / 12 + 1);
        bytes.extend_from_slice(b"1;Niccol\xF2\n");
        let ((text, enc), events) = decode_logged(&bytes, EncodingSpec::Auto);
        assert_eq!(enc, "UTF-8");
        assert!(
            text.ends_with("1;Niccol\u{FFFD}\n"),
            "invalid bytes become U+FFFD"
        );
        let blind: Vec<_> = events
            .iter()
            .filter(|(l, m)| *l == tracing::Level::DEBUG && m.contains("pure ASCII"))
            .collect();
        assert_eq!(blind.len(), 1, "{events:?}");
        assert!(blind[0].1.contains("assuming UTF-8"), "{events:?}");

        // A wholly ASCII file: both encodings read it the same, nothing to say.
        let (_, events) = decode_logged(b"codice;nome\n1;Rossi\n", EncodingSpec::Auto);
        assert!(
            events.iter().all(|(_, m)| !m.contains("pure ASCII")),
            "{events:?}"
        );
        // Non-ASCII UTF-8 in the window: a real detection, no debug event.
        let mut bytes = "città\n".repeat(SNIFF_BYTES / 6 + 1).into_bytes();
        bytes.extend_from_slice(b"x\n");
        let ((_, enc), events) = decode_logged(&bytes, EncodingSpec::Auto);
        assert_eq!(enc, "UTF-8");
        assert!(
            events.iter().all(|(_, m)| !m.contains("pure ASCII")),
            "{events:?}"
        );
        // A declared encoding is never guessed.
        let (_, events) = decode_logged(&b"a".repeat(SNIFF_BYTES + 10), EncodingSpec::Utf8);
        assert!(events.is_empty(), "{events:?}");
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        // Declared UTF-8 with windows-1252 bytes, inside and past the sniff window.
        let mut bytes = b"Niccol\xF2;".to_vec();
        bytes.extend_from_slice(&b"x".repeat(SNIFF_BYTES));
        bytes.extend_from_slice(b";Cant\xF9");
        let (text, enc) = decode(&bytes, EncodingSpec::Utf8);
        assert_eq!(enc, "UTF-8");
        assert!(text.starts_with("Niccol\u{FFFD};"));
        assert!(text.ends_with(";Cant\u{FFFD}"));
        // Detected UTF-8, invalid bytes after the window: replaced too.
        let mut bytes = "città;".as_bytes().to_vec();
        bytes.extend_from_slice(&b"x".repeat(SNIFF_BYTES));
        bytes.extend_from_slice(b";Cant\xF9");
        let (text, enc) = decode(&bytes, EncodingSpec::Auto);
        assert_eq!(enc, "UTF-8");
        assert!(text.ends_with(";Cant\u{FFFD}"));
    }

    #[test]
    fn empty_input() {
        assert_eq!(decode(b"", EncodingSpec::Auto), (String::new(), "UTF-8"));
    }

    #[test]
    fn serde_names() {
        #[derive(Deserialize)]
        struct W {
            e: EncodingSpec,
        }
        let parse = |s: &str| toml::from_str::<W>(&format!("e = {s:?}")).map(|w| w.e);
        // kebab-case puts no dash before digits: the canonical names are these.
        assert_eq!(parse("auto").unwrap(), EncodingSpec::Auto);
        assert_eq!(parse("utf8").unwrap(), EncodingSpec::Utf8);
        assert_eq!(parse("windows1252").unwrap(), EncodingSpec::Windows1252);
        assert_eq!(parse("iso88591").unwrap(), EncodingSpec::Iso88591);
        assert_eq!(parse("utf16").unwrap(), EncodingSpec::Utf16);
        // and the spellings people actually write are accepted too.
        assert_eq!(parse("utf-8").unwrap(), EncodingSpec::Utf8);
        assert_eq!(parse("windows-1252").unwrap(), EncodingSpec::Windows1252);
        assert_eq!(parse("cp1252").unwrap(), EncodingSpec::Windows1252);
        assert_eq!(parse("iso-8859-1").unwrap(), EncodingSpec::Iso88591);
        assert_eq!(parse("latin1").unwrap(), EncodingSpec::Iso88591);
        assert_eq!(parse("utf-16").unwrap(), EncodingSpec::Utf16);
        assert!(parse("ebcdic").is_err());
    }
}
