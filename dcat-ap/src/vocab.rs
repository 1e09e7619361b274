//! Controlled vocabularies used by DCAT-AP_IT, restricted to the values this
//! project needs.  Each value knows its IRI.
//!
//! * data themes, frequencies, file types, languages: EU Publications Office
//!   authority tables (NALs), `http://publications.europa.eu/resource/authority/…`;
//! * licences: AgID controlled vocabulary
//!   `https://w3id.org/italia/controlled-vocabulary/licences/…`, each mapped to its
//!   ADMS licence type (`http://purl.org/adms/licencetype/…`) for `dct:type`;
//! * sub-themes: EuroVoc (`http://eurovoc.europa.eu/<id>`);
//! * media types: IANA (`https://www.iana.org/assignments/media-types/…`).
//!
//! The crate's tests check every IRI below against the local vocabulary copies
//! in `shared/specs/dcat-ap/` (see `tests/vocabularies.rs`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Error returned by `FromStr` for vocabulary codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {vocabulary} code {code:?}")]
pub struct UnknownCode {
    /// Vocabulary name.
    pub vocabulary: &'static str,
    /// The rejected code.
    pub code: String,
}

macro_rules! nal_enum {
    (
        $(#[$meta:meta])*
        $name:ident, vocabulary = $voc:literal, scheme = $scheme:literal, base = $base:literal,
        { $( $(#[$vmeta:meta])* $var:ident => $code:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] $var ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            /// IRI of the concept scheme.
            pub const SCHEME: &'static str = $scheme;

            /// Authority code (e.g. `GOVE`).
            pub const fn code(self) -> &'static str {
                match self { $($name::$var => $code),+ }
            }

            /// Concept IRI.
            pub const fn iri(self) -> &'static str {
                match self { $($name::$var => concat!($base, $code)),+ }
            }

            /// Look a value up by authority code (exact, upper case).
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$var),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::from_code(s).ok_or_else(|| UnknownCode { vocabulary: $voc, code: s.to_string() })
            }
        }
    };
}

nal_enum! {
    /// EU data-theme NAL (`dcat:theme`, mandatory).  These are the 13 themes
    /// DCAT-AP_IT lists; the provisional `OP_DATPRO` is deliberately absent.
    DataTheme, vocabulary = "data-theme",
    scheme = "http://publications.europa.eu/resource/authority/data-theme",
    base = "http://publications.europa.eu/resource/authority/data-theme/",
    {
        /// Agricoltura, pesca, silvicoltura e prodotti alimentari
        Agri => "AGRI",
        /// Economia e finanze
        Econ => "ECON",
        /// Istruzione, cultura e sport
        Educ => "EDUC",
        /// Energia
        Ener => "ENER",
        /// Ambiente
        Envi => "ENVI",
        /// Governo e settore pubblico
        Gove => "GOVE",
        /// Salute
        Heal => "HEAL",
        /// Tematiche internazionali
        Intr => "INTR",
        /// Giustizia, sistema giuridico e sicurezza pubblica
        Just => "JUST",
        /// Regioni e città
        Regi => "REGI",
        /// Popolazione e società
        Soci => "SOCI",
        /// Scienza e tecnologia
        Tech => "TECH",
        /// Trasporti
        Tran => "TRAN",
    }
}

nal_enum! {
    /// EU frequency NAL (`dct:accrualPeriodicity`, mandatory in DCAT-AP_IT).
    Frequency, vocabulary = "frequency",
    scheme = "http://publications.europa.eu/resource/authority/frequency",
    base = "http://publications.europa.eu/resource/authority/frequency/",
    {
        /// Daily.
        Daily => "DAILY",
        /// Weekly.
        Weekly => "WEEKLY",
        /// Monthly.
        Monthly => "MONTHLY",
        /// Quarterly.
        Quarterly => "QUARTERLY",
        /// Annual.
        Annual => "ANNUAL",
        /// Irregular.
        Irregular => "IRREG",
        /// Never updated (closed historical series).
        Never => "NEVER",
        /// Unknown (allowed by DCAT-AP_IT, but shown as such on dati.gov.it).
        Unknown => "UNKNOWN",
    }
}

nal_enum! {
    /// EU file-type NAL (`dct:format`, mandatory on distributions).
    ///
    /// `PARQUET` is in the current EU file-type table but **not** in the 2021
    /// snapshot under `shared/specs/dcat-ap/eu-authority-tables/filetypes.ttl`,
    /// and not in the 2021 file-type list that ckanext-dcatapit ships, so a
    /// harvester using those tables may show it as `OP_DATPRO` or reject it
    /// (dcat-ap-it.md §3, problem 6).  See [`FileType::in_2021_nal_snapshot`]:
    /// always pair a Parquet distribution with a CSV one.
    FileType, vocabulary = "file-type",
    scheme = "http://publications.europa.eu/resource/authority/file-type",
    base = "http://publications.europa.eu/resource/authority/file-type/",
    {
        /// CSV.
        Csv => "CSV",
        /// Apache Parquet (not in the 2021 NAL snapshot, see type docs).
        Parquet => "PARQUET",
        /// JSON.
        Json => "JSON",
        /// GeoJSON.
        GeoJson => "GEOJSON",
        /// XML.
        Xml => "XML",
        /// Office Open XML spreadsheet.
        Xlsx => "XLSX",
        /// OpenDocument spreadsheet.
        Ods => "ODS",
    }
}

impl FileType {
    /// IANA media type normally served for this format.
    pub const fn media_type(self) -> &'static str {
        match self {
            FileType::Csv => "text/csv",
            // Registered with IANA in 2024.
            FileType::Parquet => "application/vnd.apache.parquet",
            FileType::Json => "application/json",
            FileType::GeoJson => "application/geo+json",
            FileType::Xml => "application/xml",
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Ods => "application/vnd.oasis.opendocument.spreadsheet",
        }
    }

    /// Whether the concept exists in the 2021 snapshot of the EU file-type
    /// table kept in `shared/specs` (used for offline SHACL validation and,
    /// in the same vintage, by the ckanext-dcatapit harvester).
    pub const fn in_2021_nal_snapshot(self) -> bool {
        !matches!(self, FileType::Parquet)
    }
}

nal_enum! {
    /// EU language NAL (`dct:language`).
    Language, vocabulary = "language",
    scheme = "http://publications.europa.eu/resource/authority/language",
    base = "http://publications.europa.eu/resource/authority/language/",
    {
        /// Italian.
        Ita => "ITA",
        /// English.
        Eng => "ENG",
        /// German.
        Deu => "DEU",
        /// French.
        Fra => "FRA",
    }
}

impl Language {
    /// The matching BCP 47 language tag for literals.
    pub const fn tag(self) -> &'static str {
        match self {
            Language::Ita => "it",
            Language::Eng => "en",
            Language::Deu => "de",
            Language::Fra => "fr",
        }
    }
}

/// ADMS licence types (`http://purl.org/adms/licencetype/…`), used as the
/// `dct:type` of a licence document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LicenceType {
    /// `Attribution`
    Attribution,
    /// `PublicDomain`
    PublicDomain,
    /// `ViralEffect-ShareAlike`
    ViralEffectShareAlike,
}

impl LicenceType {
    /// IRI of the concept scheme.
    pub const SCHEME: &'static str = "http://purl.org/adms/licencetype/1.0";

    /// Concept IRI.
    pub const fn iri(self) -> &'static str {
        match self {
            LicenceType::Attribution => "http://purl.org/adms/licencetype/Attribution",
            LicenceType::PublicDomain => "http://purl.org/adms/licencetype/PublicDomain",
            LicenceType::ViralEffectShareAlike => "http://purl.org/adms/licencetype/ViralEffect-ShareAlike",
        }
    }
}

/// Licences from the AgID controlled vocabulary (`dct:license`, mandatory on
/// distributions).  Serialised as a `dcatapit:LicenseDocument` whose
/// `dct:type` is the ADMS licence type that the AgID second-level concept is
/// `skos:exactMatch`-ed to, as in the DCAT-AP_IT guide's licence example.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Licence {
    /// A.2.1 Creative Commons Attribution 4.0 International — the licence AgID suggests.
    #[serde(rename = "A21_CCBY40")]
    CcBy40,
    /// A.1.1 Creative Commons CC0 1.0 Universal.
    #[serde(rename = "A11_CCO10")]
    Cc010,
    /// A.2.9 Italian Open Data License 2.0.
    #[serde(rename = "A29_IODL20")]
    Iodl20,
    /// A.3.1 Creative Commons Attribution-ShareAlike 4.0 International.
    #[serde(rename = "A31_CCBYSA40")]
    CcBySa40,
}

impl Licence {
    /// Every value.
    pub const ALL: &'static [Licence] = &[
        Licence::CcBy40,
        Licence::Cc010,
        Licence::Iodl20,
        Licence::CcBySa40,
    ];
    /// IRI of the AgID concept scheme.
    pub const SCHEME: &'static str = "https://w3id.org/italia/controlled-vocabulary/licences";

    /// Local code in the AgID vocabulary (e.g. `A21_CCBY40`).
    pub const fn code(self) -> &'static str {
        match self {
            Licence::CcBy40 => "A21_CCBY40",
            Licence::Cc010 => "A11_CCO10",
            Licence::Iodl20 => "A29_IODL20",
            Licence::CcBySa40 => "A31_CCBYSA40",
        }
    }

    /// Concept IRI in the AgID licences vocabulary.
    pub const fn iri(self) -> &'static str {
        match self {
            Licence::CcBy40 => "https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40",
            Licence::Cc010 => "https://w3id.org/italia/controlled-vocabulary/licences/A11_CCO10",
            Licence::Iodl20 => "https://w3id.org/italia/controlled-vocabulary/licences/A29_IODL20",
            Licence::CcBySa40 => "https://w3id.org/italia/controlled-vocabulary/licences/A31_CCBYSA40",
        }
    }

    /// ADMS licence type (`dct:type`).
    pub const fn licence_type(self) -> LicenceType {
        match self {
            Licence::CcBy40 | Licence::Iodl20 => LicenceType::Attribution,
            Licence::Cc010 => LicenceType::PublicDomain,
            Licence::CcBySa40 => LicenceType::ViralEffectShareAlike,
        }
    }

    /// Italian name (`foaf:name`@it), as in the AgID vocabulary.
    pub const fn name_it(self) -> &'static str {
        match self {
            Licence::CcBy40 => "Creative Commons Attribuzione 4.0 Internazionale (CC BY 4.0)",
            Licence::Cc010 => "Creative Commons CC0 1.0 Universale - Public Domain Dedication (CC0 1.0)",
            Licence::Iodl20 => "Italian Open Data License 2.0 (IODL 2.0)",
            Licence::CcBySa40 => {
                "Creative Commons Attribuzione-Condividi allo stesso modo 4.0 Internazionale (CC BY-SA 4.0)"
            }
        }
    }

    /// Version (`owl:versionInfo`).
    pub const fn version(self) -> &'static str {
        match self {
            Licence::CcBy40 | Licence::CcBySa40 => "4.0",
            Licence::Cc010 => "1.0",
            Licence::Iodl20 => "2.0",
        }
    }
}

impl fmt::Display for Licence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A EuroVoc concept (`dct:subject`, the DCAT-AP_IT sub-theme), identified by
/// its numeric id, e.g. `EuroVoc(100210)` = "2816 demografia e popolazione".
/// The AgID theme → EuroVoc mapping lists which ids belong to which theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EuroVoc(pub u32);

impl EuroVoc {
    /// Concept IRI.
    pub fn iri(self) -> String {
        format!("http://eurovoc.europa.eu/{}", self.0)
    }
}

/// SPDX checksum algorithms (`spdx:algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChecksumAlgorithm {
    /// SHA-1 (40 hex digits).
    #[serde(rename = "sha1")]
    Sha1,
    /// SHA-256 (64 hex digits).
    #[serde(rename = "sha256")]
    Sha256,
    /// MD5 (32 hex digits).
    #[serde(rename = "md5")]
    Md5,
}

impl ChecksumAlgorithm {
    /// SPDX individual IRI (`http://spdx.org/rdf/terms#checksumAlgorithm_…`).
    pub const fn iri(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Sha1 => "http://spdx.org/rdf/terms#checksumAlgorithm_sha1",
            ChecksumAlgorithm::Sha256 => "http://spdx.org/rdf/terms#checksumAlgorithm_sha256",
            ChecksumAlgorithm::Md5 => "http://spdx.org/rdf/terms#checksumAlgorithm_md5",
        }
    }

    /// Length of the hex digest.
    pub const fn hex_len(self) -> usize {
        match self {
            ChecksumAlgorithm::Sha1 => 40,
            ChecksumAlgorithm::Sha256 => 64,
            ChecksumAlgorithm::Md5 => 32,
        }
    }
}

/// IANA top-level media types.
const MEDIA_TOP_LEVEL: &[&str] = &[
    "application",
    "audio",
    "font",
    "image",
    "message",
    "model",
    "multipart",
    "text",
    "video",
];

/// An IANA media type (`dcat:mediaType`), written as the IANA registry IRI
/// that the DCAT-AP controlled-vocabulary shapes expect.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MediaType(String);

impl MediaType {
    /// Parse `type/subtype` (no parameters), lower-casing it.
    pub fn new(s: &str) -> Result<Self, String> {
        let lower = s.trim().to_ascii_lowercase();
        let (top, sub) = lower
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not of the form type/subtype"))?;
        if !MEDIA_TOP_LEVEL.contains(&top) {
            return Err(format!("{top:?} is not an IANA top-level media type"));
        }
        let ok = !sub.is_empty()
            && sub.len() <= 127
            && sub.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '!' | '#' | '$' | '&' | '-' | '^' | '_' | '.' | '+')
            })
            && sub.starts_with(|c: char| c.is_ascii_alphanumeric());
        if !ok {
            return Err(format!("{sub:?} is not a valid media subtype"));
        }
        Ok(MediaType(lower))
    }

    /// `type/subtype`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// IANA registry IRI, e.g. `https://www.iana.org/assignments/media-types/text/csv`.
    pub fn iri(&self) -> String {
        format!("https://www.iana.org/assignments/media-types/{}", self.0)
    }
}

impl TryFrom<String> for MediaType {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        MediaType::new(&s)
    }
}

impl From<MediaType> for String {
    fn from(m: MediaType) -> String {
        m.0
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_iris() {
        assert_eq!(
            DataTheme::Gove.iri(),
            "http://publications.europa.eu/resource/authority/data-theme/GOVE"
        );
        assert_eq!(DataTheme::ALL.len(), 13);
        assert_eq!("IRREG".parse::<Frequency>().unwrap(), Frequency::Irregular);
        assert!("YEARLY".parse::<Frequency>().is_err());
        assert_eq!(
            FileType::Parquet.iri(),
            "http://publications.europa.eu/resource/authority/file-type/PARQUET"
        );
        assert!(!FileType::Parquet.in_2021_nal_snapshot());
        assert_eq!(Language::Ita.tag(), "it");
        assert_eq!(
            Licence::CcBy40.licence_type().iri(),
            "http://purl.org/adms/licencetype/Attribution"
        );
        assert_eq!(EuroVoc(100210).iri(), "http://eurovoc.europa.eu/100210");
    }

    #[test]
    fn media_types() {
        assert_eq!(
            MediaType::new("Text/CSV").unwrap().iri(),
            "https://www.iana.org/assignments/media-types/text/csv"
        );
        assert!(MediaType::new("csv").is_err());
        assert!(MediaType::new("foo/bar").is_err());
        assert!(MediaType::new("text/csv; charset=utf-8").is_err());
        for ft in FileType::ALL {
            MediaType::new(ft.media_type()).unwrap();
        }
    }
}
