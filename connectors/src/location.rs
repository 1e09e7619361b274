//! Resolving source patterns (paths, globs, URLs) to concrete objects.
//!
//! A pattern is one of
//! - a plain path, relative to the `base_dir` given to [`resolve`], or absolute;
//! - a `file:///abs/path` URL;
//! - behind cargo features, an object-store URL: `s3://bucket/prefix/…` (`s3`),
//!   `az://container/…` / `abfss://…` (`azure`), `gs://bucket/…` (`gcs`),
//!   `http(s)://host/…` (`http`).
//!
//! The path part may contain glob wildcards (`*`, `?`, `[...]`, `**`). The
//! longest literal prefix (the directories before the first segment holding a
//! wildcard) is listed through `object_store` (`LocalFileSystem` for local
//! paths) and the rest of the pattern is matched against each listed path.
//! Wildcards never match a `/`, except `**` which spans directories, and never
//! match a leading `.`, so hidden files (such as the temp files of
//! [`crate::atomic`]) are not picked up by `*`.
//!
//! A literal pattern naming a directory selects every non-hidden file beneath
//! it, like `dir/**/*`.

use std::io::{Read, Seek};
use std::path::{Component, Path, PathBuf};
#[cfg(any(feature = "s3", feature = "azure", feature = "gcs", feature = "http"))]
use std::sync::Arc;

use futures_util::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreScheme};
use sha2::{Digest, Sha256};

use crate::error::ConnectorError;
use crate::runtime::block_on;

/// Anything that can be read and seeked and sent to another thread.
///
/// Implemented for every such type; [`SourceObject::open`] returns it boxed.
pub trait ReadSeek: Read + Seek + Send {}

impl<T: Read + Seek + Send> ReadSeek for T {}

/// One object (file) matched by a source pattern.
#[derive(Clone, Debug)]
pub struct SourceObject {
    url: String,
    file_name: String,
    size: u64,
    backing: Backing,
}

#[derive(Clone, Debug)]
enum Backing {
    Local(PathBuf),
    #[cfg(any(feature = "s3", feature = "azure", feature = "gcs", feature = "http"))]
    Remote {
        store: Arc<dyn ObjectStore>,
        location: object_store::path::Path,
    },
}

impl SourceObject {
    /// Builds a [`SourceObject`] for one existing local file.
    ///
    /// Relative paths are made absolute against the current directory.
    pub fn from_local_path(path: impl AsRef<Path>) -> Result<Self, ConnectorError> {
        let path = absolute(path.as_ref())?;
        let meta = std::fs::metadata(&path).map_err(|e| ConnectorError::io(&path, e))?;
        if !meta.is_file() {
            return Err(ConnectorError::io(
                &path,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
            ));
        }
        Ok(Self::local(path, meta.len()))
    }

    fn local(path: PathBuf, size: u64) -> Self {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        SourceObject {
            url: path.to_string_lossy().into_owned(),
            file_name,
            size,
            backing: Backing::Local(path),
        }
    }

    #[cfg(any(feature = "s3", feature = "azure", feature = "gcs", feature = "http"))]
    fn remote(
        url: String,
        size: u64,
        store: Arc<dyn ObjectStore>,
        location: object_store::path::Path,
    ) -> Self {
        let file_name = url
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        SourceObject {
            url,
            file_name,
            size,
            backing: Backing::Remote { store, location },
        }
    }

    /// For a local file, its absolute filesystem path as a string; otherwise
    /// the full URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Size in bytes, as listed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The last path segment (the file name).
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The lowercase extension of the file name, without the dot.
    pub fn extension(&self) -> Option<String> {
        Path::new(&self.file_name)
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
    }

    /// The local filesystem path, for local objects.
    pub fn local_path(&self) -> Option<&Path> {
        match &self.backing {
            Backing::Local(p) => Some(p),
            #[cfg(any(feature = "s3", feature = "azure", feature = "gcs", feature = "http"))]
            Backing::Remote { .. } => None,
        }
    }

    /// Opens the object for reading.
    ///
    /// A local file is returned as the open [`std::fs::File`] (streaming, not
    /// loaded). A remote object is fetched whole into memory.
    pub fn open(&self) -> Result<Box<dyn ReadSeek>, ConnectorError> {
        match &self.backing {
            Backing::Local(p) => {
                let f = std::fs::File::open(p).map_err(|e| ConnectorError::io(p, e))?;
                Ok(Box::new(f))
            }
            #[cfg(any(feature = "s3", feature = "azure", feature = "gcs", feature = "http"))]
            Backing::Remote { store, location } => {
                use object_store::ObjectStoreExt;
                let bytes = block_on(&self.url, || async { store.get(location).await?.bytes().await })?
                    .map_err(|source| ConnectorError::ObjectStore {
                        url: self.url.clone(),
                        source,
                    })?;
                Ok(Box::new(std::io::Cursor::new(bytes)))
            }
        }
    }

    /// The whole content in one shared buffer.
    ///
    /// A remote object is fetched once and handed over without another copy
    /// (clones of the returned [`bytes::Bytes`] share it); a local file is
    /// read into memory.
    pub(crate) fn read_all(&self) -> Result<bytes::Bytes, ConnectorError> {
        match &self.backing {
            Backing::Local(p) => std::fs::read(p)
                .map(bytes::Bytes::from)
                .map_err(|e| ConnectorError::io(p, e)),
            #[cfg(any(feature = "s3", feature = "azure", feature = "gcs", feature = "http"))]
            Backing::Remote { store, location } => {
                use object_store::ObjectStoreExt;
                block_on(&self.url, || async { store.get(location).await?.bytes().await })?.map_err(
                    |source| ConnectorError::ObjectStore {
                        url: self.url.clone(),
                        source,
                    },
                )
            }
        }
    }

    /// Hex-encoded SHA-256 of the content, computed while streaming it.
    pub fn fingerprint(&self) -> Result<String, ConnectorError> {
        match &self.backing {
            Backing::Local(p) => {
                let mut f = std::fs::File::open(p).map_err(|e| ConnectorError::io(p, e))?;
                let mut hasher = Sha256::new();
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = match f.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(ConnectorError::io(p, e)),
                    };
                    hasher.update(&buf[..n]);
                }
                Ok(hex::encode(hasher.finalize()))
            }
            #[cfg(any(feature = "s3", feature = "azure", feature = "gcs", feature = "http"))]
            Backing::Remote { store, location } => {
                use futures_util::StreamExt;
                use object_store::ObjectStoreExt;
                let digest = block_on(&self.url, || async {
                    let mut hasher = Sha256::new();
                    let mut stream = store.get(location).await?.into_stream();
                    while let Some(chunk) = stream.next().await {
                        hasher.update(&chunk?);
                    }
                    Ok::<_, object_store::Error>(hasher.finalize())
                })?
                .map_err(|source| ConnectorError::ObjectStore {
                    url: self.url.clone(),
                    source,
                })?;
                Ok(hex::encode(digest))
            }
        }
    }
}

/// Resolves a source pattern to the objects it matches, sorted by URL.
///
/// See the [module documentation](self) for the accepted patterns. No match
/// is `Ok(vec![])`. A scheme whose cargo feature is not compiled in is a
/// [`ConnectorError::FeatureNotEnabled`] naming the feature.
pub fn resolve(pattern: &str, base_dir: &Path) -> Result<Vec<SourceObject>, ConnectorError> {
    let trimmed = pattern.trim();
    if trimmed.is_empty() {
        return Err(invalid(pattern, "the pattern is empty"));
    }
    let mut objects = match split_scheme(trimmed) {
        None => resolve_local(trimmed, base_dir, pattern)?,
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("file") => {
            let path = file_url_to_path(pattern, rest)?;
            resolve_local(&path, base_dir, pattern)?
        }
        Some((scheme, _)) => resolve_remote(trimmed, scheme)?,
    };
    objects.sort_by(|a, b| a.url.cmp(&b.url));
    objects.dedup_by(|a, b| a.url == b.url);
    Ok(objects)
}

fn invalid(pattern: &str, message: impl Into<String>) -> ConnectorError {
    ConnectorError::InvalidPattern {
        pattern: pattern.to_string(),
        message: message.into(),
    }
}

/// Splits `scheme://rest`, returning `None` for plain paths.
fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    if first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        Some((scheme, rest))
    } else {
        None
    }
}

/// The path of a `file://` URL (`rest` is what follows `file://`).
fn file_url_to_path(pattern: &str, rest: &str) -> Result<String, ConnectorError> {
    let path = if rest.starts_with('/') {
        rest
    } else if let Some(p) = rest.strip_prefix("localhost/") {
        // keep the leading slash
        &rest[rest.len() - p.len() - 1..]
    } else {
        return Err(invalid(
            pattern,
            "a file:// URL must hold an absolute path, e.g. file:///data/file.csv",
        ));
    };
    percent_decode(path).ok_or_else(|| invalid(pattern, "invalid percent-encoding in the URL"))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn has_glob(segment: &str) -> bool {
    segment.contains(['*', '?', '['])
}

/// Splits a `/`-separated path into its literal prefix (the segments before
/// the first one holding a wildcard) and the glob rest, if any.
fn split_glob(path: &str) -> (String, Option<String>) {
    let segments: Vec<&str> = path.split('/').collect();
    match segments.iter().position(|s| has_glob(s)) {
        None => (path.to_string(), None),
        Some(i) => {
            let mut literal = segments[..i].join("/");
            if literal.is_empty() && path.starts_with('/') {
                literal.push('/');
            }
            (literal, Some(segments[i..].join("/")))
        }
    }
}

fn glob_options() -> glob::MatchOptions {
    glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    }
}

fn compile_glob(pattern: &str, rest: &str) -> Result<glob::Pattern, ConnectorError> {
    glob::Pattern::new(rest).map_err(|e| invalid(pattern, format!("bad wildcard: {e}")))
}

/// Lexically normalises an absolute path (drops `.`, folds `..`).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn absolute(path: &Path) -> Result<PathBuf, ConnectorError> {
    if path.is_absolute() {
        Ok(normalize(path))
    } else {
        let cwd = std::env::current_dir().map_err(|e| ConnectorError::io(".", e))?;
        Ok(normalize(&cwd.join(path)))
    }
}

fn resolve_local(path: &str, base_dir: &Path, pattern: &str) -> Result<Vec<SourceObject>, ConnectorError> {
    let base = absolute(base_dir)?;
    let (literal, rest) = split_glob(path);
    let prefix = normalize(&base.join(&literal));

    let rest = match rest {
        Some(rest) => rest,
        None => {
            return match std::fs::metadata(&prefix) {
                Ok(m) if m.is_file() => Ok(vec![SourceObject::local(prefix, m.len())]),
                Ok(m) if m.is_dir() => list_local(&prefix, "**/*", pattern),
                Ok(_) => Ok(Vec::new()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(ConnectorError::io(&prefix, e)),
            };
        }
    };
    if !prefix.is_dir() {
        return Ok(Vec::new());
    }
    list_local(&prefix, &rest, pattern)
}

/// Lists `prefix` through `LocalFileSystem` and keeps the files whose path
/// relative to `prefix` matches `rest`.
fn list_local(prefix: &Path, rest: &str, pattern: &str) -> Result<Vec<SourceObject>, ConnectorError> {
    let matcher = compile_glob(pattern, rest)?;
    let root = std::fs::canonicalize(prefix).map_err(|e| ConnectorError::io(prefix, e))?;
    let label = prefix.to_string_lossy().into_owned();
    let store = LocalFileSystem::new_with_prefix(&root).map_err(|source| ConnectorError::ObjectStore {
        url: label.clone(),
        source,
    })?;
    // Only `**` or a `/` in the rest needs a recursive walk.
    let recursive = rest.contains('/') || rest.contains("**");
    let metas: Vec<ObjectMeta> = block_on(&label, || async {
        if recursive {
            store.list(None).try_collect().await
        } else {
            store.list_with_delimiter(None).await.map(|r| r.objects)
        }
    })?
    .map_err(|source| ConnectorError::ObjectStore {
        url: label.clone(),
        source,
    })?;

    let options = glob_options();
    let mut out = Vec::new();
    for meta in metas {
        let fs_path = match store.path_to_filesystem(&meta.location) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(location = %meta.location, error = %e, "skipping unmappable listed file");
                continue;
            }
        };
        let Ok(rel) = fs_path.strip_prefix(&root) else {
            continue;
        };
        let Some(rel_str) = rel_to_slash(rel) else {
            tracing::warn!(path = %fs_path.display(), "skipping a file whose name is not UTF-8");
            continue;
        };
        if matcher.matches_with(&rel_str, options) {
            out.push(SourceObject::local(prefix.join(rel), meta.size));
        }
    }
    Ok(out)
}

fn rel_to_slash(rel: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// The cargo feature of this crate that enables an object-store scheme.
fn feature_for(scheme: &ObjectStoreScheme) -> Option<&'static str> {
    match scheme {
        ObjectStoreScheme::AmazonS3 => Some("s3"),
        ObjectStoreScheme::MicrosoftAzure => Some("azure"),
        ObjectStoreScheme::GoogleCloudStorage => Some("gcs"),
        ObjectStoreScheme::Http => Some("http"),
        _ => None,
    }
}

fn feature_enabled(feature: &str) -> bool {
    const COMPILED: [(&str, bool); 4] = [
        ("s3", cfg!(feature = "s3")),
        ("azure", cfg!(feature = "azure")),
        ("gcs", cfg!(feature = "gcs")),
        ("http", cfg!(feature = "http")),
    ];
    COMPILED.iter().any(|&(name, on)| on && name == feature)
}

/// A remote URL split into its literal part (a URL) and its glob rest.
struct RemoteTarget {
    literal_url: String,
    url: url::Url,
    rest: Option<String>,
}

/// Checks a remote pattern, its scheme and the needed feature.
fn remote_target(pattern: &str, scheme: &str) -> Result<RemoteTarget, ConnectorError> {
    let unsupported = || {
        invalid(
            pattern,
            format!(
                "unsupported scheme {scheme}://; use a path, file://, s3://, az://, gs:// \
                 or http(s)://"
            ),
        )
    };
    let after = &pattern[scheme.len() + 3..];
    let (authority, path) = match after.find('/') {
        Some(i) => (&after[..i], &after[i..]),
        None => (after, ""),
    };
    if authority.is_empty() {
        return Err(invalid(pattern, "the URL has no bucket, container or host"));
    }
    if has_glob(authority) {
        return Err(invalid(
            pattern,
            "wildcards are not allowed in the bucket, container or host",
        ));
    }
    let (literal_path, rest) = split_glob(path);
    let literal_url = format!("{scheme}://{authority}{literal_path}");
    let url = url::Url::parse(&literal_url).map_err(|e| invalid(pattern, e.to_string()))?;
    let (os_scheme, _) = ObjectStoreScheme::parse(&url).map_err(|_| unsupported())?;
    let feature = feature_for(&os_scheme).ok_or_else(unsupported)?;
    if !feature_enabled(feature) {
        return Err(ConnectorError::FeatureNotEnabled {
            url: pattern.to_string(),
            scheme: scheme.to_ascii_lowercase(),
            feature,
        });
    }
    Ok(RemoteTarget {
        literal_url,
        url,
        rest,
    })
}

fn resolve_remote(pattern: &str, scheme: &str) -> Result<Vec<SourceObject>, ConnectorError> {
    let target = remote_target(pattern, scheme)?;
    #[cfg(any(feature = "s3", feature = "azure", feature = "gcs", feature = "http"))]
    {
        remote::resolve(pattern, target)
    }
    #[cfg(not(any(feature = "s3", feature = "azure", feature = "gcs", feature = "http")))]
    {
        // `remote_target` already refused every scheme; keep the fields used.
        let _ = (target.literal_url, target.url, target.rest);
        Err(invalid(pattern, "no remote object store is compiled in"))
    }
}

/// Builds the store for a remote URL whose scheme and feature were checked.
///
/// Credentials and settings come from the environment like the
/// `object_store` builders' `from_env` (`AWS_*`, `AZURE_*`, `GOOGLE_*`
/// variables). Plain `http://` is allowed for the `http` scheme since the
/// source definition asked for it explicitly.
#[cfg(any(feature = "s3", feature = "azure", feature = "gcs", feature = "http"))]
pub(crate) fn remote_store(
    url: &url::Url,
    label: &str,
) -> Result<(Arc<dyn ObjectStore>, object_store::path::Path), ConnectorError> {
    let os_err = |source: object_store::Error| ConnectorError::ObjectStore {
        url: label.to_string(),
        source,
    };
    let (scheme, path) = ObjectStoreScheme::parse(url).map_err(|e| os_err(e.into()))?;
    let store: Arc<dyn ObjectStore> = match scheme {
        #[cfg(feature = "s3")]
        ObjectStoreScheme::AmazonS3 => Arc::new(
            object_store::aws::AmazonS3Builder::from_env()
                .with_url(url.as_str())
                .build()
                .map_err(os_err)?,
        ),
        #[cfg(feature = "azure")]
        ObjectStoreScheme::MicrosoftAzure => Arc::new(
            object_store::azure::MicrosoftAzureBuilder::from_env()
                .with_url(url.as_str())
                .build()
                .map_err(os_err)?,
        ),
        #[cfg(feature = "gcs")]
        ObjectStoreScheme::GoogleCloudStorage => Arc::new(
            object_store::gcp::GoogleCloudStorageBuilder::from_env()
                .with_url(url.as_str())
                .build()
                .map_err(os_err)?,
        ),
        #[cfg(feature = "http")]
        ObjectStoreScheme::Http => Arc::new(
            object_store::http::HttpBuilder::new()
                .with_url(&url[..url::Position::BeforePath])
                .with_client_options(object_store::ClientOptions::new().with_allow_http(true))
                .build()
                .map_err(os_err)?,
        ),
        other => {
            return Err(invalid(
                label,
                format!("the {other:?} object store is not compiled in"),
            ))
        }
    };
    Ok((store, path))
}

/// Checks that a URL for writing uses a supported, compiled-in scheme.
pub(crate) fn check_remote_url(url_str: &str) -> Result<url::Url, ConnectorError> {
    let Some((scheme, _)) = split_scheme(url_str) else {
        return Err(invalid(url_str, "not a URL"));
    };
    let target = remote_target(url_str, scheme)?;
    if target.rest.is_some() {
        return Err(invalid(url_str, "wildcards are not allowed in an output URL"));
    }
    Ok(target.url)
}

/// Parses a `file://` URL or returns a plain path as is.
pub(crate) fn local_target(s: &str) -> Result<Option<PathBuf>, ConnectorError> {
    match split_scheme(s) {
        None => Ok(Some(PathBuf::from(s))),
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("file") => {
            Ok(Some(PathBuf::from(file_url_to_path(s, rest)?)))
        }
        Some(_) => Ok(None),
    }
}

#[cfg(any(feature = "s3", feature = "azure", feature = "gcs", feature = "http"))]
mod remote {
    use super::*;
    use object_store::ObjectStoreExt;

    pub(super) fn resolve(pattern: &str, target: RemoteTarget) -> Result<Vec<SourceObject>, ConnectorError> {
        let (store, prefix) = remote_store(&target.url, pattern)?;
        let base = target.literal_url.trim_end_matches('/').to_string();
        let os_err = |source| ConnectorError::ObjectStore {
            url: pattern.to_string(),
            source,
        };

        let (matcher, list_prefix) = match &target.rest {
            None => {
                // A literal URL: an object, or else a "directory" prefix.
                match block_on(pattern, || async { store.head(&prefix).await })? {
                    Ok(meta) => {
                        return Ok(vec![SourceObject::remote(
                            target.literal_url.clone(),
                            meta.size,
                            store.clone(),
                            meta.location,
                        )]);
                    }
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(os_err(e)),
                }
                (compile_glob(pattern, "**/*")?, prefix.clone())
            }
            Some(rest) => (compile_glob(pattern, rest)?, prefix.clone()),
        };

        let list_arg = if list_prefix.parts().next().is_none() {
            None
        } else {
            Some(list_prefix.clone())
        };
        let listed: Result<Vec<ObjectMeta>, _> = block_on(pattern, || async {
            store.list(list_arg.as_ref()).try_collect().await
        })?;
        let metas = match listed {
            Ok(m) => m,
            // A literal URL that does not exist: some stores (plain HTTP)
            // cannot list, and nothing matched anyway.
            Err(e) if target.rest.is_none() => {
                tracing::debug!(url = pattern, error = %e, "not found and not listable");
                Vec::new()
            }
            Err(e) => return Err(os_err(e)),
        };

        let options = glob_options();
        let mut out = Vec::new();
        for meta in metas {
            let Some(parts) = meta.location.prefix_match(&list_prefix) else {
                continue;
            };
            let rel: Vec<String> = parts.map(|p| p.as_ref().to_string()).collect();
            let rel = rel.join("/");
            if rel.is_empty() || !matcher.matches_with(&rel, options) {
                continue;
            }
            out.push(SourceObject::remote(
                format!("{base}/{rel}"),
                meta.size,
                store.clone(),
                meta.location,
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_globs() {
        assert_eq!(split_glob("a/b/c.csv"), ("a/b/c.csv".into(), None));
        assert_eq!(
            split_glob("/data/x/*.csv"),
            ("/data/x".into(), Some("*.csv".into()))
        );
        assert_eq!(split_glob("/*.csv"), ("/".into(), Some("*.csv".into())));
        assert_eq!(
            split_glob("in/**/d[0-9]/*.csv"),
            ("in".into(), Some("**/d[0-9]/*.csv".into()))
        );
        assert_eq!(split_glob("*.csv"), ("".into(), Some("*.csv".into())));
    }

    #[test]
    fn splits_schemes() {
        assert_eq!(split_scheme("s3://b/k"), Some(("s3", "b/k")));
        assert_eq!(split_scheme("file:///x"), Some(("file", "/x")));
        assert_eq!(split_scheme("/a/b"), None);
        assert_eq!(split_scheme("dir/x://y"), None);
        assert_eq!(split_scheme("://x"), None);
    }

    #[test]
    fn file_urls() {
        assert_eq!(file_url_to_path("p", "/a/b%20c.csv").unwrap(), "/a/b c.csv");
        assert_eq!(file_url_to_path("p", "localhost/a").unwrap(), "/a");
        assert!(file_url_to_path("p", "host/a").is_err());
        assert!(file_url_to_path("p", "/a%zz").is_err());
        assert!(file_url_to_path("p", "/a%").is_err());
        assert!(file_url_to_path("p", "/%C3%A0").is_ok());
        assert!(file_url_to_path("p", "/%FF").is_err());
    }

    #[test]
    fn normalizes() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("/../a")), PathBuf::from("/a"));
    }

    #[test]
    fn missing_feature_names_the_feature() {
        #[cfg(not(feature = "s3"))]
        {
            let err = resolve("s3://bucket/in/*.csv", Path::new("/")).unwrap_err();
            assert!(
                matches!(err, ConnectorError::FeatureNotEnabled { feature: "s3", .. }),
                "{err}"
            );
            assert!(err.to_string().contains("--features s3"));
        }
        #[cfg(not(feature = "gcs"))]
        {
            let err = resolve("gs://bucket/x.csv", Path::new("/")).unwrap_err();
            assert!(matches!(
                err,
                ConnectorError::FeatureNotEnabled { feature: "gcs", .. }
            ));
        }
        #[cfg(not(feature = "azure"))]
        {
            let err = resolve("az://container/x.csv", Path::new("/")).unwrap_err();
            assert!(matches!(
                err,
                ConnectorError::FeatureNotEnabled { feature: "azure", .. }
            ));
        }
        #[cfg(not(feature = "http"))]
        {
            let err = resolve("https://example.org/x.csv", Path::new("/")).unwrap_err();
            assert!(matches!(
                err,
                ConnectorError::FeatureNotEnabled { feature: "http", .. }
            ));
        }
    }

    #[test]
    fn bad_patterns_are_errors_not_panics() {
        assert!(matches!(
            resolve("  ", Path::new("/")),
            Err(ConnectorError::InvalidPattern { .. })
        ));
        assert!(matches!(
            resolve("ftp://host/x.csv", Path::new("/")),
            Err(ConnectorError::InvalidPattern { .. })
        ));
        assert!(matches!(
            resolve("s3://*/x.csv", Path::new("/")),
            Err(ConnectorError::InvalidPattern { .. })
        ));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            resolve("[a-.csv", dir.path()),
            Err(ConnectorError::InvalidPattern { .. })
        ));
    }

    #[test]
    fn missing_paths_resolve_to_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert!(resolve("nope.csv", dir.path()).unwrap().is_empty());
        assert!(resolve("nope/*.csv", dir.path()).unwrap().is_empty());
        assert!(resolve("*.csv", dir.path()).unwrap().is_empty());
    }

    #[test]
    fn object_accessors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Dati.CSV");
        std::fs::write(&p, b"abc").unwrap();
        let o = SourceObject::from_local_path(&p).unwrap();
        assert_eq!(o.size(), 3);
        assert_eq!(o.file_name(), "Dati.CSV");
        assert_eq!(o.extension().as_deref(), Some("csv"));
        assert_eq!(o.local_path(), Some(p.as_path()));
        assert_eq!(o.url(), p.to_str().unwrap());
        let mut s = String::new();
        o.open().unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "abc");
        // sha256("abc")
        assert_eq!(
            o.fingerprint().unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(SourceObject::from_local_path(dir.path()).is_err());
    }
}
