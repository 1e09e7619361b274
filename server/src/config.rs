//! `serve.toml`: the one configuration file of `metrodati serve`.
//!
//! ```toml
//! [server]
//! bind = "127.0.0.1:8080"        # default
//! shutdown_grace = "30s"         # in-flight requests get this long after SIGTERM/SIGINT
//!
//! [waas]                         # the WaaS e-service for INPS SIUSS; defaults for every comune
//! issuers = ["interop.pagopa.it"]
//! public_keys = [{ pem = "keys/pdnd.pem", kid = "..." }]   # paths relative to serve.toml
//! clock_skew = "60s"             # default
//! token_type = "at+jwt"          # default; "" accepts any `typ`
//! rate_limit = { requests = 600, per = "1m" }               # optional
//!
//! [[waas.comuni]]                # one per comune that joined WaaS
//! belfiore = "F205"
//! audience = "https://api.example.it/waas/F205/v1"          # the PDND e-service audience
//! # denominazione = "Comune di Milano"                      # default: "Comune di " + ISTAT name
//! # base_path = "/waas/F205/v1"                            # default
//! # purpose_ids = ["..."]                                   # optional: accepted PDND purposeIds
//! # issuers, public_keys, clock_skew, token_type, rate_limit: override [waas]
//! ```
//!
//! Every problem is reported, all at once, with file, line and key
//! ([`ConfigError`]), like the project's other configuration files. Public
//! keys are read and parsed while loading, so a bad key is a configuration
//! error, not a failure at the first request.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use toml::Spanned;

/// Default `[server] bind`: loopback only.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Default `[server] shutdown_grace`.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// Default voucher clock skew.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(60);
/// Default required JWT `typ` header: PDND vouchers are `at+jwt` (RFC 9068).
pub const DEFAULT_TOKEN_TYPE: &str = "at+jwt";

// ----------------------------------------------------------------------
// errors
// ----------------------------------------------------------------------

pub use metrodati_config_error::{ConfigError, ConfigErrors};

// ----------------------------------------------------------------------
// the checked configuration
// ----------------------------------------------------------------------

/// The whole of `serve.toml`, checked.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The file it was read from.
    pub path: PathBuf,
    pub server: ServerConfig,
    /// The WaaS e-service; `None` when the file has no `[waas]`.
    pub waas: Option<WaasConfig>,
}

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    pub bind: SocketAddr,
    /// How long in-flight requests may go on after SIGTERM/SIGINT.
    pub shutdown_grace: Duration,
}

/// `[waas]`: the comuni that joined WaaS.
#[derive(Debug, Clone)]
pub struct WaasConfig {
    pub comuni: Vec<WaasComune>,
}

/// One `[[waas.comuni]]`: one PDND e-service, with its own base path and
/// audience.
#[derive(Debug, Clone)]
pub struct WaasComune {
    /// Codice Belfiore (`codice_ente` of the flows), e.g. `F205`.
    pub belfiore: String,
    /// `denominazione_ente` shown in logs and `/status`.
    pub denominazione: String,
    /// Where its API lives, e.g. `/waas/F205/v1` (no trailing `/`).
    pub base_path: String,
    pub auth: VoucherPolicy,
    pub rate_limit: Option<RateLimit>,
}

/// How a PDND voucher is checked for one e-service.
#[derive(Clone)]
pub struct VoucherPolicy {
    /// The e-service audience: a voucher must name it in `aud`.
    pub audience: String,
    /// Accepted `iss` values.
    pub issuers: Vec<String>,
    /// Keys the voucher may be signed with (RS256).
    pub keys: Vec<TrustedKey>,
    /// Leeway for `exp`, `nbf` and `iat`.
    pub clock_skew: Duration,
    /// Required `typ` header (`None`: any).
    pub token_type: Option<String>,
    /// Accepted `purposeId` values (empty: any).
    pub purpose_ids: Vec<String>,
}

impl fmt::Debug for VoucherPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VoucherPolicy")
            .field("audience", &self.audience)
            .field("issuers", &self.issuers)
            .field("keys", &self.keys)
            .field("clock_skew", &self.clock_skew)
            .field("token_type", &self.token_type)
            .field("purpose_ids", &self.purpose_ids)
            .finish()
    }
}

/// A public key trusted to sign vouchers.
#[derive(Clone)]
pub struct TrustedKey {
    /// When set, only vouchers whose header `kid` is this value are checked
    /// with this key.
    pub kid: Option<String>,
    /// The PEM file (SPKI `PUBLIC KEY`, PKCS#1 `RSA PUBLIC KEY` or a certificate).
    pub pem: PathBuf,
    pub key: DecodingKey,
}

impl fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedKey")
            .field("kid", &self.kid)
            .field("pem", &self.pem)
            .finish_non_exhaustive()
    }
}

/// At most `requests` requests per `per` (a fixed window), per comune.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub per: Duration,
}

// ----------------------------------------------------------------------
// the file as written
// ----------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    server: Option<RawServer>,
    waas: Option<RawWaas>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    bind: Option<Spanned<String>>,
    shutdown_grace: Option<Spanned<RawDuration>>,
}

/// The settings a comune may inherit from `[waas]`.
#[derive(Debug, Default, Clone)]
struct RawAuth {
    issuers: Option<Spanned<Vec<String>>>,
    public_keys: Option<Spanned<Vec<RawKey>>>,
    clock_skew: Option<Spanned<RawDuration>>,
    token_type: Option<Spanned<String>>,
    rate_limit: Option<Spanned<RawRateLimit>>,
}

// The inherited settings are spelled out in both tables (serde's `flatten`
// would lose the spans and `deny_unknown_fields`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaas {
    issuers: Option<Spanned<Vec<String>>>,
    public_keys: Option<Spanned<Vec<RawKey>>>,
    clock_skew: Option<Spanned<RawDuration>>,
    token_type: Option<Spanned<String>>,
    rate_limit: Option<Spanned<RawRateLimit>>,
    #[serde(default)]
    comuni: Vec<Spanned<RawComune>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComune {
    belfiore: Spanned<String>,
    denominazione: Option<Spanned<String>>,
    base_path: Option<Spanned<String>>,
    audience: Option<Spanned<String>>,
    #[serde(default)]
    purpose_ids: Vec<String>,
    issuers: Option<Spanned<Vec<String>>>,
    public_keys: Option<Spanned<Vec<RawKey>>>,
    clock_skew: Option<Spanned<RawDuration>>,
    token_type: Option<Spanned<String>>,
    rate_limit: Option<Spanned<RawRateLimit>>,
}

impl RawComune {
    fn auth(&self) -> RawAuth {
        RawAuth {
            issuers: self.issuers.clone(),
            public_keys: self.public_keys.clone(),
            clock_skew: self.clock_skew.clone(),
            token_type: self.token_type.clone(),
            rate_limit: self.rate_limit.clone(),
        }
    }
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawKey {
    pem: Spanned<String>,
    kid: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    requests: i64,
    per: RawDuration,
}

/// `"30s"`, `"2m"` (humantime) or a number of seconds.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
enum RawDuration {
    Seconds(i64),
    Text(String),
}

impl RawDuration {
    fn to_duration(&self) -> Result<Duration, String> {
        match self {
            RawDuration::Seconds(s) => u64::try_from(*s)
                .map(Duration::from_secs)
                .map_err(|_| format!("a duration cannot be negative (got {s})")),
            RawDuration::Text(t) => humantime::parse_duration(t.trim())
                .map_err(|e| format!("invalid duration {t:?}: {e} (write e.g. \"30s\", \"2m\")")),
        }
    }
}

struct Errors<'a> {
    path: &'a Path,
    text: &'a str,
    list: Vec<ConfigError>,
}

impl Errors<'_> {
    /// Adds an error; the same error twice (a value inherited from
    /// `[waas]` by several comuni) is reported once.
    fn push(&mut self, span: Option<Range<usize>>, key: impl Into<String>, msg: impl Into<String>) {
        let e = ConfigError::at(self.path, self.text, span, Some(key.into()), msg.into());
        if !self.list.contains(&e) {
            self.list.push(e);
        }
    }
}

impl ServeConfig {
    /// Reads and checks `path`; every problem is returned.
    pub fn load(path: &Path) -> Result<ServeConfig, ConfigErrors> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigErrors(vec![ConfigError::file(path, format!("cannot read: {e}"))]))?;
        ServeConfig::parse(path, &text)
    }

    /// Checks the text of a `serve.toml` read from `path` (relative paths
    /// inside it are resolved against `path`'s folder).
    pub fn parse(path: &Path, text: &str) -> Result<ServeConfig, ConfigErrors> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            ConfigErrors(vec![ConfigError::at(
                path,
                text,
                e.span(),
                None,
                e.message().trim().to_string(),
            )])
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut errs = Errors {
            path,
            text,
            list: Vec::new(),
        };
        let server = check_server(raw.server.unwrap_or_default(), &mut errs);
        let waas = raw.waas.map(|w| check_waas(w, &base, &mut errs));
        let mut list = errs.list;
        if list.is_empty() {
            Ok(ServeConfig {
                path: path.to_path_buf(),
                server,
                waas,
            })
        } else {
            list.sort_by_key(|e| e.line);
            Err(ConfigErrors(list))
        }
    }
}

fn check_server(raw: RawServer, errs: &mut Errors<'_>) -> ServerConfig {
    let mut out = ServerConfig {
        bind: DEFAULT_BIND.parse().expect("default bind address parses"),
        shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
    };
    if let Some(b) = raw.bind {
        match b.get_ref().trim().parse::<SocketAddr>() {
            Ok(a) => out.bind = a,
            Err(_) => errs.push(
                Some(b.span()),
                "server.bind",
                format!(
                    "{:?} is not an address:port (e.g. \"127.0.0.1:8080\")",
                    b.get_ref()
                ),
            ),
        }
    }
    if let Some(g) = raw.shutdown_grace {
        match g.get_ref().to_duration() {
            Ok(d) => out.shutdown_grace = d,
            Err(m) => errs.push(Some(g.span()), "server.shutdown_grace", m),
        }
    }
    out
}

/// `defaults` overridden by `own`, field by field.
fn merged(own: &RawAuth, defaults: &RawAuth) -> RawAuth {
    RawAuth {
        issuers: own.issuers.clone().or_else(|| defaults.issuers.clone()),
        public_keys: own.public_keys.clone().or_else(|| defaults.public_keys.clone()),
        clock_skew: own.clock_skew.clone().or_else(|| defaults.clock_skew.clone()),
        token_type: own.token_type.clone().or_else(|| defaults.token_type.clone()),
        rate_limit: own.rate_limit.clone().or_else(|| defaults.rate_limit.clone()),
    }
}

fn check_waas(raw: RawWaas, base: &Path, errs: &mut Errors<'_>) -> WaasConfig {
    let defaults = RawAuth {
        issuers: raw.issuers,
        public_keys: raw.public_keys,
        clock_skew: raw.clock_skew,
        token_type: raw.token_type,
        rate_limit: raw.rate_limit,
    };
    // Keys are parsed once per file, however many comuni share them.
    let mut key_cache: BTreeMap<PathBuf, Result<DecodingKey, String>> = BTreeMap::new();
    let mut comuni = Vec::new();
    let mut seen_belfiore: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen_audience: BTreeMap<String, String> = BTreeMap::new();
    let mut seen_paths: Vec<(String, String)> = Vec::new();
    for (i, c) in raw.comuni.into_iter().enumerate() {
        let span = c.span();
        let c = c.into_inner();
        let k = |field: &str| format!("waas.comuni[{i}].{field}");
        let own = c.auth();
        let auth = merged(&own, &defaults);
        // Where an inherited value is written: the comune's table or [waas].
        let ik = |field: &str, own_has: bool| {
            if own_has {
                k(field)
            } else {
                format!("waas.{field}")
            }
        };

        let belfiore = c.belfiore.get_ref().trim().to_string();
        let comune = metrodati_interop::refdata::comune_by_belfiore(&belfiore);
        if comune.is_none() {
            errs.push(
                Some(c.belfiore.span()),
                k("belfiore"),
                format!(
                    "{belfiore:?} is not the codice Belfiore of a comune of the Città Metropolitana di Milano"
                ),
            );
        }
        if let Some(prev) = seen_belfiore.insert(belfiore.clone(), i) {
            errs.push(
                Some(c.belfiore.span()),
                k("belfiore"),
                format!("comune {belfiore} is already configured in waas.comuni[{prev}]"),
            );
        }

        let denominazione = match &c.denominazione {
            Some(d) => {
                let t = d.get_ref().trim().to_string();
                if t.is_empty() || t.chars().count() > 256 {
                    errs.push(
                        Some(d.span()),
                        k("denominazione"),
                        "must have 1 to 256 characters",
                    );
                }
                t
            }
            None => comune
                .map(|c| format!("Comune di {}", c.denominazione))
                .unwrap_or_default(),
        };

        let base_path = match &c.base_path {
            Some(p) => {
                let t = p.get_ref().trim().to_string();
                if let Err(m) = check_base_path(&t) {
                    errs.push(Some(p.span()), k("base_path"), m);
                }
                t
            }
            None => format!("/waas/{belfiore}/v1"),
        };
        for (other, who) in &seen_paths {
            if paths_overlap(other, &base_path) {
                errs.push(
                    c.base_path.as_ref().map(|p| p.span()).or(Some(span.clone())),
                    k("base_path"),
                    format!(
                        "{base_path} overlaps {other} of comune {who}: every comune needs its own base path"
                    ),
                );
            }
        }
        seen_paths.push((base_path.clone(), belfiore.clone()));

        let audience = match &c.audience {
            Some(a) => {
                let t = a.get_ref().trim().to_string();
                if t.is_empty() {
                    errs.push(Some(a.span()), k("audience"), "must not be empty");
                } else if let Some(other) = seen_audience.insert(t.clone(), belfiore.clone()) {
                    // The audience is what keeps comune A's token out of comune B.
                    errs.push(
                        Some(a.span()),
                        k("audience"),
                        format!(
                            "audience {t:?} is already the audience of comune {other}: each comune is its own \
                             PDND e-service, and a shared audience would let one comune's voucher read \
                             another's flows"
                        ),
                    );
                }
                t
            }
            None => {
                errs.push(
                    Some(span.clone()),
                    k("audience"),
                    "missing: the audience of the comune's PDND e-service (vouchers must name it in `aud`)",
                );
                String::new()
            }
        };

        let issuers = match &auth.issuers {
            Some(v) if !v.get_ref().is_empty() && v.get_ref().iter().all(|s| !s.trim().is_empty()) => {
                v.get_ref().iter().map(|s| s.trim().to_string()).collect()
            }
            Some(v) => {
                let key = ik("issuers", own.issuers.is_some());
                errs.push(Some(v.span()), key, "must list at least one non-empty issuer");
                Vec::new()
            }
            None => {
                errs.push(
                    Some(span.clone()),
                    k("issuers"),
                    "missing (here or in [waas]): the trusted voucher issuer(s), e.g. [\"interop.pagopa.it\"]",
                );
                Vec::new()
            }
        };

        let mut keys = Vec::new();
        match &auth.public_keys {
            Some(v) if v.get_ref().is_empty() => {
                let key = ik("public_keys", own.public_keys.is_some());
                errs.push(Some(v.span()), key, "must list at least one key");
            }
            Some(v) => {
                for (j, key) in v.get_ref().iter().enumerate() {
                    let file = base.join(key.pem.get_ref());
                    let parsed = key_cache
                        .entry(file.clone())
                        .or_insert_with(|| read_public_key(&file))
                        .clone();
                    match parsed {
                        Ok(dk) => keys.push(TrustedKey {
                            kid: key.kid.clone().filter(|s| !s.is_empty()),
                            pem: file,
                            key: dk,
                        }),
                        Err(m) => {
                            let key_name = ik(&format!("public_keys[{j}].pem"), own.public_keys.is_some());
                            errs.push(Some(key.pem.span()), key_name, m);
                        }
                    }
                }
            }
            None => errs.push(
                Some(span.clone()),
                k("public_keys"),
                "missing (here or in [waas]): the public key(s) vouchers are signed with, \
                 e.g. [{ pem = \"keys/pdnd.pem\" }]",
            ),
        }

        let clock_skew = match &auth.clock_skew {
            Some(d) => d.get_ref().to_duration().unwrap_or_else(|m| {
                errs.push(Some(d.span()), ik("clock_skew", own.clock_skew.is_some()), m);
                DEFAULT_CLOCK_SKEW
            }),
            None => DEFAULT_CLOCK_SKEW,
        };
        if clock_skew > Duration::from_secs(600) {
            let span = auth.clock_skew.as_ref().map(|d| d.span());
            errs.push(
                span,
                ik("clock_skew", own.clock_skew.is_some()),
                "at most 10 minutes",
            );
        }

        let token_type = match &auth.token_type {
            Some(t) if t.get_ref().trim().is_empty() => None,
            Some(t) => Some(t.get_ref().trim().to_string()),
            None => Some(DEFAULT_TOKEN_TYPE.to_string()),
        };

        let rate_key = |f: &str| ik(&format!("rate_limit.{f}"), own.rate_limit.is_some());
        let rate_limit = auth.rate_limit.as_ref().and_then(|r| {
            let span = r.span();
            let raw = r.get_ref();
            let per = match raw.per.to_duration() {
                Ok(d) if !d.is_zero() => Some(d),
                Ok(_) => {
                    errs.push(Some(span.clone()), rate_key("per"), "must be longer than zero");
                    None
                }
                Err(m) => {
                    errs.push(Some(span.clone()), rate_key("per"), m);
                    None
                }
            };
            let requests = match u32::try_from(raw.requests) {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    errs.push(
                        Some(span),
                        rate_key("requests"),
                        format!("must be a positive number (got {})", raw.requests),
                    );
                    None
                }
            };
            Some(RateLimit {
                requests: requests?,
                per: per?,
            })
        });

        let purpose_ids = c
            .purpose_ids
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();

        comuni.push(WaasComune {
            belfiore,
            denominazione,
            base_path,
            auth: VoucherPolicy {
                audience,
                issuers,
                keys,
                clock_skew,
                token_type,
                purpose_ids,
            },
            rate_limit,
        });
    }
    if comuni.is_empty() {
        errs.push(
            None,
            "waas.comuni",
            "[waas] has no [[waas.comuni]]: add one per comune that joined WaaS, or remove [waas]",
        );
    }
    WaasConfig { comuni }
}

fn read_public_key(file: &Path) -> Result<DecodingKey, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read public key {}: {e}", file.display()))?;
    DecodingKey::from_rsa_pem(&bytes).map_err(|e| {
        format!(
            "{} is not an RSA public key in PEM form (PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE): {e}",
            file.display()
        )
    })
}

/// `/segment/segment`, ASCII letters, digits, `-`, `_`, `.`; no trailing `/`.
fn check_base_path(p: &str) -> Result<(), String> {
    let ok_segment = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if !p.starts_with('/') || p.len() < 2 || !p[1..].split('/').all(ok_segment) {
        return Err(format!(
            "{p:?} is not a base path: write it like \"/waas/F205/v1\" (leading `/`, no trailing `/`, \
             segments of letters, digits, `-`, `_`, `.`)"
        ));
    }
    Ok(())
}

/// Whether one path is the other or lies under it.
pub(crate) fn paths_overlap(a: &str, b: &str) -> bool {
    let under = |x: &str, y: &str| x == y || x.strip_prefix(y).is_some_and(|rest| rest.starts_with('/'));
    under(a, b) || under(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC_A: &str = include_str!("../tests/fixtures/TEST-ONLY-voucher-key-a.pub.pem");

    fn setup() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("keys")).unwrap();
        std::fs::write(dir.path().join("keys/pdnd.pem"), PUBLIC_A).unwrap();
        std::fs::write(dir.path().join("keys/garbage.pem"), "not a key").unwrap();
        dir
    }

    fn parse(dir: &Path, text: &str) -> Result<ServeConfig, ConfigErrors> {
        ServeConfig::parse(&dir.join("serve.toml"), text)
    }

    const GOOD: &str = r#"
[server]
bind = "127.0.0.1:9090"
shutdown_grace = "5s"

[waas]
issuers = ["interop.pagopa.it"]
public_keys = [{ pem = "keys/pdnd.pem", kid = "k1" }]
clock_skew = 30

[[waas.comuni]]
belfiore = "F205"
audience = "https://api.example.it/waas/F205/v1"

[[waas.comuni]]
belfiore = "A010"
denominazione = "Comune di Abbiategrasso (test)"
base_path = "/siuss/abbiategrasso/v1"
audience = "aud-a010"
token_type = ""
purpose_ids = ["p-1"]
clock_skew = "2m"
rate_limit = { requests = 10, per = "1m" }
"#;

    #[test]
    fn a_good_file_with_defaults_and_overrides() {
        let dir = setup();
        let cfg = parse(dir.path(), GOOD).unwrap();
        assert_eq!(cfg.server.bind, "127.0.0.1:9090".parse().unwrap());
        assert_eq!(cfg.server.shutdown_grace, Duration::from_secs(5));
        let w = cfg.waas.unwrap();
        let (m, a) = (&w.comuni[0], &w.comuni[1]);
        assert_eq!(m.belfiore, "F205");
        assert_eq!(m.denominazione, "Comune di Milano");
        assert_eq!(m.base_path, "/waas/F205/v1");
        assert_eq!(m.auth.issuers, ["interop.pagopa.it"]);
        assert_eq!(m.auth.keys.len(), 1);
        assert_eq!(m.auth.keys[0].kid.as_deref(), Some("k1"));
        assert_eq!(m.auth.clock_skew, Duration::from_secs(30));
        assert_eq!(m.auth.token_type.as_deref(), Some("at+jwt"));
        assert!(m.rate_limit.is_none() && m.auth.purpose_ids.is_empty());
        assert_eq!(a.denominazione, "Comune di Abbiategrasso (test)");
        assert_eq!(a.base_path, "/siuss/abbiategrasso/v1");
        assert_eq!(a.auth.token_type, None);
        assert_eq!(a.auth.clock_skew, Duration::from_secs(120));
        assert_eq!(a.auth.purpose_ids, ["p-1"]);
        assert_eq!(
            a.rate_limit,
            Some(RateLimit {
                requests: 10,
                per: Duration::from_secs(60)
            })
        );
    }

    #[test]
    fn an_empty_file_uses_the_defaults() {
        let dir = setup();
        let cfg = parse(dir.path(), "").unwrap();
        assert_eq!(cfg.server.bind, DEFAULT_BIND.parse().unwrap());
        assert!(cfg.server.bind.ip().is_loopback());
        assert!(cfg.waas.is_none());
    }

    #[test]
    fn errors_point_at_file_line_and_key_all_at_once() {
        let dir = setup();
        let text = r#"[server]
bind = "everywhere"

[waas]
issuers = []
public_keys = [{ pem = "keys/missing.pem" }]

[[waas.comuni]]
belfiore = "X999"
audience = "same"

[[waas.comuni]]
belfiore = "F205"
audience = "same"
base_path = "waas/"

[[waas.comuni]]
belfiore = "A010"
public_keys = [{ pem = "keys/garbage.pem" }]
clock_skew = "soon"
rate_limit = { requests = 0, per = "1m" }
"#;
        let errs = parse(dir.path(), text).unwrap_err();
        let got: Vec<(Option<usize>, Option<&str>)> =
            errs.0.iter().map(|e| (e.line, e.key.as_deref())).collect();
        let expect = [
            (Some(2), "server.bind"),
            (Some(5), "waas.issuers"),
            (Some(6), "waas.public_keys[0].pem"),
            (Some(9), "waas.comuni[0].belfiore"),
            (Some(14), "waas.comuni[1].audience"),
            (Some(15), "waas.comuni[1].base_path"),
            (Some(17), "waas.comuni[2].audience"),
            (Some(19), "waas.comuni[2].public_keys[0].pem"),
            (Some(20), "waas.comuni[2].clock_skew"),
            (Some(21), "waas.comuni[2].rate_limit.requests"),
        ];
        for (line, key) in expect {
            assert!(
                got.contains(&(line, Some(key))),
                "missing {key} at line {line:?} in:\n{errs}"
            );
        }
        let text = errs.to_string();
        assert!(text.contains("serve.toml:2: key `server.bind`"), "{text}");
        assert!(
            text.contains("would let one comune's voucher read another's flows"),
            "{text}"
        );
        // The missing key file is reported once, though two comuni use it.
        assert_eq!(text.matches("keys/missing.pem").count(), 1, "{text}");
    }

    #[test]
    fn unknown_keys_and_syntax_errors_have_a_line() {
        let dir = setup();
        let e = parse(dir.path(), "[server]\nbind = \"127.0.0.1:1\"\nport = 8080\n").unwrap_err();
        assert_eq!(e.0.len(), 1);
        assert_eq!(e.0[0].line, Some(3), "{e}");
        assert!(e.0[0].message.contains("port"), "{e}");
        let e = parse(dir.path(), "[waas\n").unwrap_err();
        assert_eq!(e.0[0].line, Some(1), "{e}");
        let e = parse(dir.path(), "[waas]\nissuers = [\"x\"]\n").unwrap_err();
        assert!(e.to_string().contains("no [[waas.comuni]]"), "{e}");
    }

    #[test]
    fn nested_or_equal_base_paths_are_refused() {
        assert!(paths_overlap("/waas/F205/v1", "/waas/F205/v1"));
        assert!(paths_overlap("/waas/F205", "/waas/F205/v1"));
        assert!(!paths_overlap("/waas/F205/v1", "/waas/F205/v10"));
        let dir = setup();
        let text = r#"
[waas]
issuers = ["i"]
public_keys = [{ pem = "keys/pdnd.pem" }]
[[waas.comuni]]
belfiore = "F205"
audience = "a"
base_path = "/waas"
[[waas.comuni]]
belfiore = "A010"
audience = "b"
"#;
        let e = parse(dir.path(), text).unwrap_err();
        assert!(e.to_string().contains("overlaps /waas of comune F205"), "{e}");
        for bad in ["/", "", "/a/", "a/b", "/a//b", "/a/../b", "/a b"] {
            assert!(check_base_path(bad).is_err(), "{bad:?}");
        }
        assert!(check_base_path("/waas/F205/v1").is_ok());
    }

    #[test]
    fn load_reports_an_unreadable_file() {
        let e = ServeConfig::load(Path::new("/nonexistent/serve.toml")).unwrap_err();
        assert!(
            e.to_string().contains("/nonexistent/serve.toml: cannot read"),
            "{e}"
        );
    }
}
