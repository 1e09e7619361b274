//! Shared test setup: a temporary catalog with a few flows, a `serve.toml`
//! trusting the TEST-ONLY key A, and vouchers signed with it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use axum::body::{to_bytes, Body};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use metrodati_catalog::{Catalog, NewSiussFlow, TipoFlusso};
use metrodati_server::config::ServeConfig;
use metrodati_server::db::CatalogHandle;
use metrodati_server::services::Context;
use serde_json::{json, Value};
use tower::ServiceExt as _;

pub const ISSUER: &str = "interop.pagopa.it";
pub const AUD_MILANO: &str = "https://waas.test.invalid/waas/F205/v1";
pub const AUD_ABBIATEGRASSO: &str = "https://waas.test.invalid/waas/A010/v1";
pub const MILANO: &str = "/waas/F205/v1";
pub const ABBIATEGRASSO: &str = "/waas/A010/v1";

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The official specs: `$METRODATI_SPECS` or `../shared/specs`. Missing
/// specs fail the test (they are never copied into the repository).
pub fn specs_dir() -> PathBuf {
    let dir = std::env::var_os("METRODATI_SPECS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/specs")));
    assert!(
        dir.join("inps/api-comuni.yaml").is_file(),
        "the INPS specs are missing: expected {}/inps/api-comuni.yaml (set METRODATI_SPECS to the shared \
         specs folder)",
        dir.display()
    );
    dir
}

pub fn serve_toml(extra_waas: &str, extra_comune: &str) -> String {
    format!(
        r#"
[server]
bind = "127.0.0.1:0"
shutdown_grace = "2s"

[waas]
issuers = ["{ISSUER}"]
public_keys = [{{ pem = "{key}", kid = "test-kid-a" }}]
clock_skew = "30s"
{extra_waas}

[[waas.comuni]]
belfiore = "F205"
audience = "{AUD_MILANO}"
{extra_comune}

[[waas.comuni]]
belfiore = "A010"
audience = "{AUD_ABBIATEGRASSO}"
"#,
        key = fixture("TEST-ONLY-voucher-key-a.pub.pem").display()
    )
}

/// A flow whose XML is a minimal, recognisable document.
pub fn new_flow(ente: &str, id: &str, ts: i64, tipo: TipoFlusso) -> NewSiussFlow {
    NewSiussFlow {
        codice_ente: ente.into(),
        denominazione_ente: format!("Comune {ente}"),
        id_flusso: id.into(),
        tipo,
        ts_flusso: ts,
        flusso: format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Flusso xmlns=\"http://inps.it/Casellario\">\
             <IdentificazioneFlusso Nome=\"{id}\"/></Flusso>"
        )
        .into_bytes(),
        replaces: None,
    }
}

/// Three flows for Milano, two for Abbiategrasso.
pub fn seed(cat: &Catalog) {
    let t0 = 1_772_000_000_000;
    for (ente, id, dt, tipo) in [
        ("F205", "F205.PS.20260305.0000001", 0, TipoFlusso::PsPsaSina),
        ("F205", "F205.SINBA.20260305.0000001", 10, TipoFlusso::Sinba),
        ("A010", "A010.PS.20260305.0000001", 15, TipoFlusso::PsPsaSina),
        ("F205", "F205.PS.20260305.0000002", 20, TipoFlusso::PsPsaSina),
        ("A010", "A010.PS.20260305.0000002", 25, TipoFlusso::PsPsaSina),
    ] {
        cat.insert_siuss_flow(&new_flow(ente, id, t0 + dt, tipo)).unwrap();
    }
}

pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub config: ServeConfig,
    pub catalog: CatalogHandle,
    pub catalog_path: PathBuf,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv::with_toml(&serve_toml("", ""))
    }

    pub fn with_toml(toml: &str) -> TestEnv {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("serve.toml");
        std::fs::write(&path, toml).unwrap();
        let config = ServeConfig::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let catalog_path = dir.path().join("catalog.sqlite");
        let cat = Catalog::open(&catalog_path).unwrap();
        seed(&cat);
        TestEnv {
            dir,
            config,
            catalog: CatalogHandle::new(cat),
            catalog_path,
        }
    }

    pub fn app(&self) -> Router {
        metrodati_server::router(
            &self.config,
            &Context {
                catalog: self.catalog.clone(),
            },
        )
        .unwrap()
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The claims of a PDND voucher for `aud`, valid for 10 minutes.
pub fn claims(aud: &str) -> Value {
    let t = now();
    json!({
        "iss": ISSUER, "aud": aud, "sub": "inps-waas-client", "client_id": "inps-waas-client",
        "purposeId": "purpose-siuss", "jti": format!("jti-{t}"), "iat": t, "nbf": t, "exp": t + 600
    })
}

pub fn sign_with(claims: &Value, private_key: &str) -> String {
    let mut h = Header::new(Algorithm::RS256);
    h.typ = Some("at+jwt".into());
    h.kid = Some("test-kid-a".into());
    let pem = std::fs::read(fixture(private_key)).unwrap();
    encode(&h, claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
}

/// A valid voucher for `aud`, signed with the TEST-ONLY key A.
pub fn token(aud: &str) -> String {
    sign_with(&claims(aud), "TEST-ONLY-voucher-key-a.pem")
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    /// Asserts a problem+json error with this status.
    pub fn assert_problem(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.content_type(), "application/problem+json");
        let v = self.json();
        assert_eq!(v["status"], status);
        for k in v.as_object().unwrap().keys() {
            assert!(
                ["type", "title", "status", "detail", "instance"].contains(&k.as_str()),
                "Problem has no property {k}"
            );
        }
        v
    }
}

/// Sends one request through the router, in process.
pub async fn send(app: &Router, req: Request<Body>) -> Reply {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = to_bytes(res.into_body(), usize::MAX).await.unwrap().to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

pub fn get(uri: &str, token: Option<&str>) -> Request<Body> {
    let mut b = Request::get(uri);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(Body::empty()).unwrap()
}

pub fn post_json(uri: &str, token: Option<&str>, body: &str) -> Request<Body> {
    let mut b = Request::post(uri).header("content-type", "application/json");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(Body::from(body.to_string())).unwrap()
}
