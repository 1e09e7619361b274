//! The SINBA pseudonym `IDBeneficiario`.
//!
//! SINBA carries no codice fiscale: the minor is identified by
//! `IDBeneficiario` (`xs:string`, 1–20 characters), which must stay the same
//! across submissions so that INPS can link a case's records. metrodati
//! computes it as
//!
//! ```text
//! IDBeneficiario = base32( HMAC-SHA256(secret, "metrodati/siuss/sinba/IDBeneficiario/v1" 0x00 CF) )[..20]
//! ```
//!
//! * `CF` is the **normalised** codice fiscale: whitespace removed, ASCII
//!   upper case, then checked (16-character CF with valid check character,
//!   or a valid 11-digit numeric one); omocodia letters are kept as issued
//!   (an omocodic code is a different person's code);
//! * the secret (≥ 32 bytes) comes from configuration and never leaves the
//!   comune's platform: without it the pseudonym cannot be recomputed from a
//!   CF nor reversed;
//! * the first 100 bits of the MAC are written in RFC 4648 base32 (`A–Z`,
//!   `2–7`): exactly 20 characters, within the XSD limit, no character that
//!   needs escaping, never the shape of a codice fiscale.
//!
//! [`SinbaSecret`] implements neither `Display` nor a `Debug` that shows its
//! bytes, nor `Serialize`/`Clone`, and zeroes its memory when dropped.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;

/// Domain-separation prefix of the MAC input (versioned: a new scheme gets a
/// new prefix, never a silent change).
const DOMAIN: &[u8] = b"metrodati/siuss/sinba/IDBeneficiario/v1\x00";

/// Minimum secret length in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// Why a secret or a codice fiscale cannot be used. Messages never contain
/// the secret nor the codice fiscale.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PseudonymError {
    /// The secret is shorter than [`MIN_SECRET_LEN`] bytes.
    #[error("the SINBA pseudonym secret must be at least {MIN_SECRET_LEN} bytes, got {0}")]
    SecretTooShort(usize),
    /// The secret is not valid base64.
    #[error("the SINBA pseudonym secret is not valid base64")]
    SecretNotBase64,
    /// The codice fiscale is not valid (its rule code is given, not the code).
    #[error("invalid codice fiscale ({0})")]
    InvalidCodiceFiscale(&'static str),
    /// An `IDBeneficiario` read from elsewhere is empty, longer than 20
    /// characters, contains characters not allowed in XML, or has the shape
    /// of a codice fiscale.
    #[error("invalid IDBeneficiario: {0}")]
    InvalidId(&'static str),
}

/// The secret key of the SINBA pseudonyms. Its bytes cannot be printed,
/// serialised or cloned, and are zeroed on drop.
pub struct SinbaSecret {
    key: Box<[u8]>,
}

impl SinbaSecret {
    /// A secret from raw bytes (at least [`MIN_SECRET_LEN`]).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<SinbaSecret, PseudonymError> {
        if bytes.len() < MIN_SECRET_LEN {
            let n = bytes.len();
            let mut b = bytes;
            wipe(&mut b);
            return Err(PseudonymError::SecretTooShort(n));
        }
        Ok(SinbaSecret {
            key: bytes.into_boxed_slice(),
        })
    }

    /// A secret from its standard base64 form, as kept in configuration
    /// (e.g. generated with `openssl rand -base64 32`). Surrounding
    /// whitespace is ignored.
    pub fn from_base64(text: &str) -> Result<SinbaSecret, PseudonymError> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| PseudonymError::SecretNotBase64)?;
        SinbaSecret::from_bytes(bytes)
    }

    /// The pseudonym of a codice fiscale (see the module documentation).
    pub fn id_beneficiario(&self, codice_fiscale: &str) -> Result<IdBeneficiario, PseudonymError> {
        let cf = normalise_cf(codice_fiscale)?;
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC accepts keys of any length");
        mac.update(DOMAIN);
        mac.update(cf.as_bytes());
        let digest = mac.finalize().into_bytes();
        Ok(IdBeneficiario(base32_100_bits(&digest)))
    }
}

impl fmt::Debug for SinbaSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SinbaSecret(<redacted>)")
    }
}

impl Drop for SinbaSecret {
    fn drop(&mut self) {
        wipe(&mut self.key);
    }
}

/// Overwrites `buf` with zeros in a way the optimiser does not remove.
fn wipe(buf: &mut [u8]) {
    for b in buf.iter_mut() {
        // SAFETY: `b` is a valid, aligned, exclusive reference to a u8.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// Whitespace removed, ASCII upper case, then validated.
fn normalise_cf(cf: &str) -> Result<String, PseudonymError> {
    let s: String = cf
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if s.len() == 11 && s.bytes().all(|b| b.is_ascii_digit()) {
        return if metrodati_interop::cf::is_valid_numeric_cf(&s) {
            Ok(s)
        } else {
            Err(PseudonymError::InvalidCodiceFiscale("cf_numeric_invalid"))
        };
    }
    metrodati_interop::cf::parse(&s).map_err(|e| PseudonymError::InvalidCodiceFiscale(e.code()))?;
    Ok(s)
}

/// RFC 4648 base32 of the first 100 bits of `bytes` (20 characters).
fn base32_100_bits(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(20);
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    let mut it = bytes.iter();
    while out.len() < 20 {
        if bits < 5 {
            acc = (acc << 8) | u64::from(*it.next().expect("32 bytes give 256 bits"));
            bits += 8;
        }
        bits -= 5;
        out.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
    }
    out
}

/// The `IDBeneficiario` of a SINBA case: made by
/// [`SinbaSecret::id_beneficiario`], or read back with
/// [`IdBeneficiario::from_existing`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdBeneficiario(String);

impl IdBeneficiario {
    /// An identifier already assigned (read from a flow or a store): 1–20
    /// characters allowed in XML, and **not** shaped like a codice fiscale
    /// (16-character or 11-digit), so that a CF can never be sent as a
    /// SINBA identifier by mistake.
    pub fn from_existing(id: &str) -> Result<IdBeneficiario, PseudonymError> {
        let n = id.chars().count();
        if n == 0 || n > 20 {
            return Err(PseudonymError::InvalidId("1 to 20 characters required"));
        }
        if !id.chars().all(crate::xml::is_xml_char) {
            return Err(PseudonymError::InvalidId("character not allowed in XML"));
        }
        let compact: String = id
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let looks_like_cf = (compact.len() == 16 && metrodati_interop::cf::parse(&compact).is_ok())
            || (compact.len() == 11 && compact.bytes().all(|b| b.is_ascii_digit()));
        if looks_like_cf {
            return Err(PseudonymError::InvalidId("it looks like a codice fiscale"));
        }
        Ok(IdBeneficiario(id.to_string()))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdBeneficiario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for IdBeneficiario {
    type Error = PseudonymError;
    fn try_from(s: String) -> Result<IdBeneficiario, PseudonymError> {
        IdBeneficiario::from_existing(&s)
    }
}

impl From<IdBeneficiario> for String {
    fn from(id: IdBeneficiario) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(fill: u8) -> SinbaSecret {
        SinbaSecret::from_bytes(vec![fill; 32]).unwrap()
    }

    #[test]
    fn stable_normalised_and_keyed() {
        let s = secret(7);
        let a = s.id_beneficiario("RSSMRA80A01F205X").unwrap();
        let b = s.id_beneficiario(" rssmra80a01f205x ").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), 20);
        assert!(a
            .as_str()
            .bytes()
            .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c)));
        assert_ne!(a, secret(8).id_beneficiario("RSSMRA80A01F205X").unwrap());
        assert_ne!(a, s.id_beneficiario("BNCLRA85T41F205Y").unwrap());
        // Omocodic code: another person, another pseudonym.
        let omo = metrodati_interop::cf::omocode("RSSMRA80A01F205X", 1);
        assert_ne!(a, s.id_beneficiario(&omo).unwrap());
    }

    #[test]
    fn invalid_inputs() {
        assert_eq!(
            SinbaSecret::from_bytes(vec![1; 31]).unwrap_err(),
            PseudonymError::SecretTooShort(31)
        );
        assert_eq!(
            SinbaSecret::from_base64("not base64!").unwrap_err(),
            PseudonymError::SecretNotBase64
        );
        let e = secret(1).id_beneficiario("RSSMRA80A01F205A").unwrap_err();
        assert_eq!(e, PseudonymError::InvalidCodiceFiscale("cf_check_char"));
        assert!(!e.to_string().contains("RSSMRA"));
        assert!(secret(1).id_beneficiario("01199250158").is_ok());
        assert!(secret(1).id_beneficiario("01199250159").is_err());
    }

    #[test]
    fn secret_is_not_printed() {
        let s = SinbaSecret::from_base64("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==").unwrap();
        let dbg = format!("{s:?}");
        assert_eq!(dbg, "SinbaSecret(<redacted>)");
    }

    #[test]
    fn existing_ids() {
        assert!(IdBeneficiario::from_existing("PROVA BENEF").is_ok());
        assert!(IdBeneficiario::from_existing("").is_err());
        assert!(IdBeneficiario::from_existing("ABCDEFGHIJKLMNOPQRSTU").is_err());
        assert!(IdBeneficiario::from_existing("RSSMRA80A01F205X").is_err());
        assert!(IdBeneficiario::from_existing("rssmra80a01f205x").is_err());
        assert!(IdBeneficiario::from_existing("01199250158").is_err());
        assert!(IdBeneficiario::from_existing("a\u{1}b").is_err());
        let j = serde_json::to_string(&IdBeneficiario::from_existing("F205-123").unwrap()).unwrap();
        assert_eq!(j, "\"F205-123\"");
        assert!(serde_json::from_str::<IdBeneficiario>("\"RSSMRA80A01F205X\"").is_err());
    }

    #[test]
    fn base32_known_vector() {
        // RFC 4648: base32("foobar") = "MZXW6YTBOI======"; our function takes
        // 100 bits of a 32-byte input, check the prefix on a padded input.
        let mut b = [0u8; 32];
        b[..6].copy_from_slice(b"foobar");
        assert!(base32_100_bits(&b).starts_with("MZXW6YTBOI"));
    }
}
