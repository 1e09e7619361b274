//! `dcatapit:Distribution`.

use crate::error::{Issue, ValidationError};
use crate::model::{Checksum, DateValue, Iri, LangString};
use crate::validate::{self, Ctx};
use crate::vocab::{FileType, Licence, MediaType};

/// Builder for a [`Distribution`].
///
/// Mandatory in DCAT-AP_IT: `dcat:accessURL`, `dct:format`, `dct:license`.
/// The `id` is a local slug (e.g. `csv`) used only to mint the distribution IRI
/// `{dataset IRI}/distribution/{id}`; it must be unique within the dataset.
#[derive(Debug, Clone)]
#[must_use]
pub struct DistributionBuilder {
    id: String,
    titles: Vec<LangString>,
    descriptions: Vec<LangString>,
    access_url: Option<String>,
    download_url: Option<String>,
    format: Option<FileType>,
    media_type: Option<String>,
    license: Option<Licence>,
    byte_size: Option<u64>,
    checksum: Option<Checksum>,
    modified: Option<DateValue>,
}

/// A validated DCAT-AP_IT distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    id: String,
    titles: Vec<LangString>,
    descriptions: Vec<LangString>,
    access_url: Iri,
    download_url: Option<Iri>,
    format: FileType,
    media_type: MediaType,
    license: Licence,
    byte_size: Option<u64>,
    checksum: Option<Checksum>,
    modified: Option<DateValue>,
}

impl Distribution {
    /// Start building a distribution with local slug `id`.
    pub fn builder(id: impl Into<String>) -> DistributionBuilder {
        DistributionBuilder {
            id: id.into(),
            titles: Vec::new(),
            descriptions: Vec::new(),
            access_url: None,
            download_url: None,
            format: None,
            media_type: None,
            license: None,
            byte_size: None,
            checksum: None,
            modified: None,
        }
    }

    /// Local slug.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// `dct:title` values.
    pub fn titles(&self) -> &[LangString] {
        &self.titles
    }
    /// `dct:description` values.
    pub fn descriptions(&self) -> &[LangString] {
        &self.descriptions
    }
    /// `dcat:accessURL`.
    pub fn access_url(&self) -> &Iri {
        &self.access_url
    }
    /// `dcat:downloadURL`.
    pub fn download_url(&self) -> Option<&Iri> {
        self.download_url.as_ref()
    }
    /// `dct:format`.
    pub fn format(&self) -> FileType {
        self.format
    }
    /// `dcat:mediaType` (explicit, or the usual one for the format).
    pub fn media_type(&self) -> &MediaType {
        &self.media_type
    }
    /// `dct:license`.
    pub fn license(&self) -> Licence {
        self.license
    }
    /// `dcat:byteSize`.
    pub fn byte_size(&self) -> Option<u64> {
        self.byte_size
    }
    /// `spdx:checksum`.
    pub fn checksum(&self) -> Option<&Checksum> {
        self.checksum.as_ref()
    }
    /// `dct:modified`.
    pub fn modified(&self) -> Option<DateValue> {
        self.modified
    }
}

impl DistributionBuilder {
    /// Add a `dct:title` (optional; at most one per language).
    pub fn title(mut self, lang: &str, value: impl Into<String>) -> Self {
        self.titles.push(LangString::new(lang, value));
        self
    }
    /// Add a `dct:description` (recommended; plain text; one per language).
    pub fn description(mut self, lang: &str, value: impl Into<String>) -> Self {
        self.descriptions.push(LangString::new(lang, value));
        self
    }
    /// `dcat:accessURL` (mandatory): a page or endpoint giving access.
    pub fn access_url(mut self, url: impl Into<String>) -> Self {
        self.access_url = Some(url.into());
        self
    }
    /// `dcat:downloadURL` (optional): only for a direct file download.
    pub fn download_url(mut self, url: impl Into<String>) -> Self {
        self.download_url = Some(url.into());
        self
    }
    /// `dct:format` (mandatory).
    pub fn format(mut self, format: FileType) -> Self {
        self.format = Some(format);
        self
    }
    /// `dcat:mediaType`; defaults to [`FileType::media_type`] of the format.
    pub fn media_type(mut self, media_type: impl Into<String>) -> Self {
        self.media_type = Some(media_type.into());
        self
    }
    /// `dct:license` (mandatory).
    pub fn license(mut self, licence: Licence) -> Self {
        self.license = Some(licence);
        self
    }
    /// `dcat:byteSize` in bytes.
    pub fn byte_size(mut self, bytes: u64) -> Self {
        self.byte_size = Some(bytes);
        self
    }
    /// `spdx:checksum`.
    ///
    /// Note: the DCAT-AP 3.0.1 `mdr-vocabularies.shape.ttl` requires the
    /// algorithm IRI to start with `https://spdx.org/rdf/terms` and to be typed
    /// `spdx:ChecksumAlgorithm`, whereas the SPDX individuals are
    /// `http://spdx.org/rdf/terms#checksumAlgorithm_…`; a distribution with a
    /// checksum therefore fails that (buggy) shape.  This crate writes the
    /// SPDX IRIs as defined by SPDX.
    pub fn checksum(mut self, checksum: Checksum) -> Self {
        self.checksum = Some(checksum);
        self
    }
    /// `dct:modified`.
    pub fn modified(mut self, when: impl Into<DateValue>) -> Self {
        self.modified = Some(when.into());
        self
    }

    /// Local slug given to [`Distribution::builder`].
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Validate, collecting every problem.
    pub fn build(self) -> Result<Distribution, ValidationError> {
        let mut issues: Vec<Issue> = Vec::new();
        let label = format!("distribution {:?}", self.id);
        let mut ctx = Ctx::new(label, &mut issues);
        match self.validate(&mut ctx) {
            Some(d) => Ok(d),
            None => Err(ValidationError::new(issues)),
        }
    }

    pub(crate) fn validate(self, ctx: &mut Ctx<'_>) -> Option<Distribution> {
        let before = ctx.issues.len();
        ctx.check(
            "distribution id",
            validate::check_slug(&self.id, "distribution id"),
        );
        validate::lang_strings(ctx, "dct:title", &self.titles, false, true);
        validate::lang_strings(ctx, "dct:description", &self.descriptions, false, true);

        let access_url = match &self.access_url {
            Some(u) => ctx.http_iri("dcat:accessURL", u),
            None => {
                ctx.missing("dcat:accessURL");
                None
            }
        };
        let download_url = self
            .download_url
            .as_deref()
            .and_then(|u| ctx.http_iri("dcat:downloadURL", u));
        if self.format.is_none() {
            ctx.missing("dct:format");
        }
        if self.license.is_none() {
            ctx.missing("dct:license");
        }
        let media_type = match (&self.media_type, self.format) {
            (Some(m), _) => ctx.check("dcat:mediaType", MediaType::new(m)),
            (None, Some(f)) => MediaType::new(f.media_type()).ok(),
            (None, None) => None,
        };
        let checksum = self.checksum.as_ref().and_then(|c| {
            let v = c.value.to_ascii_lowercase();
            let ok = v.len() == c.algorithm.hex_len() && v.chars().all(|ch| ch.is_ascii_hexdigit());
            if ok {
                Some(Checksum::new(c.algorithm, v))
            } else {
                ctx.invalid(
                    "spdx:checksum",
                    format!(
                        "{:?} is not a {}-digit hex digest",
                        c.value,
                        c.algorithm.hex_len()
                    ),
                );
                None
            }
        });

        if ctx.issues.len() > before {
            return None;
        }
        Some(Distribution {
            id: self.id,
            titles: self.titles,
            descriptions: self.descriptions,
            access_url: access_url?,
            download_url,
            format: self.format?,
            media_type: media_type?,
            license: self.license?,
            byte_size: self.byte_size,
            checksum,
            modified: self.modified,
        })
    }
}
