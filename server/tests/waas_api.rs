//! The WaaS e-service in process (router + tower `oneshot`): the
//! api-comuni.yaml resources, voucher checks, tenant isolation, errors.

mod common;

use base64::Engine as _;
use common::*;
use metrodati_catalog::{CodiceEsito, FlowStatus};
use serde_json::json;

fn ids(v: &serde_json::Value) -> Vec<String> {
    v["elenco_flussi"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id_flusso"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn flussi_pages_the_comune_flows_in_the_spec_shape() {
    let env = TestEnv::new();
    let app = env.app();
    let tok = token(AUD_MILANO);

    let r = send(&app, get(&format!("{MILANO}/flussi?since=0&limit=2"), Some(&tok))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "application/json");
    let v = r.json();
    assert_eq!(v.as_object().unwrap().len(), 1, "only elenco_flussi: {v}");
    assert_eq!(
        ids(&v),
        ["F205.PS.20260305.0000001", "F205.SINBA.20260305.0000001"]
    );
    let f = &v["elenco_flussi"][1];
    let mut keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "codice_ente",
            "denominazione_ente",
            "flusso",
            "id_flusso",
            "tipo",
            "ts_flusso"
        ]
    );
    assert_eq!(f["codice_ente"], "F205");
    assert_eq!(f["tipo"], "SINBA");
    assert_eq!(f["ts_flusso"], "2026-02-25T06:13:20.010Z");
    let xml = base64::engine::general_purpose::STANDARD
        .decode(f["flusso"].as_str().unwrap())
        .unwrap();
    assert!(String::from_utf8(xml)
        .unwrap()
        .contains("Nome=\"F205.SINBA.20260305.0000001\""));

    // INPS continues from the ts_flusso of the last flow it acquired.
    let since = 1_772_000_000_010i64;
    let r = send(&app, get(&format!("{MILANO}/flussi?since={since}"), Some(&tok))).await;
    assert_eq!(ids(&r.json()), ["F205.PS.20260305.0000002"]);
    let r = send(
        &app,
        get(&format!("{MILANO}/flussi?since=1772000000020"), Some(&tok)),
    )
    .await;
    assert_eq!(r.json(), json!({"elenco_flussi": []}));
    // limit=0 is allowed and returns nothing.
    let r = send(&app, get(&format!("{MILANO}/flussi?since=0&limit=0"), Some(&tok))).await;
    assert_eq!(r.json(), json!({"elenco_flussi": []}));

    // Served flows are `sent`; the other comune's are untouched.
    let cat = env.catalog.lock();
    assert_eq!(
        cat.siuss_flows_by_status(Some("F205"), FlowStatus::Sent)
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        cat.siuss_flows_by_status(Some("A010"), FlowStatus::Pending)
            .unwrap()
            .len(),
        2
    );
    let first = cat.siuss_flow("F205.PS.20260305.0000001").unwrap().unwrap();
    assert_eq!(first.times_sent, 1);
}

#[tokio::test]
async fn a_comune_a_voucher_never_reads_comune_b() {
    let env = TestEnv::new();
    let app = env.app();
    let abbiategrasso = token(AUD_ABBIATEGRASSO);

    // Its own flows: fine.
    let r = send(
        &app,
        get(&format!("{ABBIATEGRASSO}/flussi?since=0"), Some(&abbiategrasso)),
    )
    .await;
    assert_eq!(
        ids(&r.json()),
        ["A010.PS.20260305.0000001", "A010.PS.20260305.0000002"]
    );

    // Milano's base path with Abbiategrasso's voucher: refused everywhere.
    for req in [
        get(&format!("{MILANO}/flussi?since=0"), Some(&abbiategrasso)),
        get(&format!("{MILANO}/status"), Some(&abbiategrasso)),
        get(&format!("{MILANO}/unknown"), Some(&abbiategrasso)),
        post_json(
            &format!("{MILANO}/esiti"),
            Some(&abbiategrasso),
            r#"{"elenco_esiti":[{"id_flusso":"F205.PS.20260305.0000001","tipo":"PS_PSA_SINA",
               "ts_flusso":"2026-03-05T10:00:00Z","ts_acquisizione":"2026-03-05T10:00:00Z",
               "codice_esito":"RICHIESTA_INVALIDA"}]}"#,
        ),
    ] {
        let r = send(&app, req).await;
        let p = r.assert_problem(401);
        assert_eq!(p["detail"], "The voucher is not issued for this e-service.");
        assert!(r.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\""));
    }
    {
        let cat = env.catalog.lock();
        assert_eq!(
            cat.siuss_flows_by_status(Some("F205"), FlowStatus::Pending)
                .unwrap()
                .len(),
            3
        );
        assert!(cat.siuss_esiti("F205", None).unwrap().is_empty());
    }
    // An esito posted on Abbiategrasso's own path about a Milano flow does
    // not touch the Milano flow: it is kept as unmatched for Abbiategrasso.
    let r = send(
        &app,
        post_json(
            &format!("{ABBIATEGRASSO}/esiti"),
            Some(&abbiategrasso),
            r#"{"elenco_esiti":[{"id_flusso":"F205.PS.20260305.0000001","tipo":"PS_PSA_SINA",
               "ts_flusso":"2026-03-05T10:00:00Z","ts_acquisizione":"2026-03-05T10:00:00Z",
               "codice_esito":"OK","id_acquisizione_siuss":"1"}]}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 204);
    let cat = env.catalog.lock();
    let milano = cat.siuss_flow("F205.PS.20260305.0000001").unwrap().unwrap();
    assert_eq!((milano.status, milano.esito), (FlowStatus::Pending, None));
    assert_eq!(cat.unmatched_siuss_esiti(Some("A010")).unwrap().len(), 1);
}

#[tokio::test]
async fn vouchers_that_are_not_valid_get_401_problems() {
    let env = TestEnv::new();
    let app = env.app();
    let url = format!("{MILANO}/flussi?since=0");
    let t = now();
    let with = |k: &str, v: serde_json::Value| {
        let mut c = claims(AUD_MILANO);
        c[k] = v;
        sign_with(&c, "TEST-ONLY-voucher-key-a.pem")
    };
    let cases = [
        ("missing", None),
        ("expired", Some(with("exp", json!(t - 3600)))),
        ("wrong issuer", Some(with("iss", json!("someone.else")))),
        (
            "wrong audience",
            Some(with("aud", json!("https://other.invalid/v1"))),
        ),
        (
            "bad signature",
            Some(sign_with(&claims(AUD_MILANO), "TEST-ONLY-voucher-key-b.pem")),
        ),
        ("garbage", Some("not-a-jwt".to_string())),
    ];
    for (what, tok) in cases {
        let r = send(&app, get(&url, tok.as_deref())).await;
        let p = r.assert_problem(401);
        assert!(p["detail"].as_str().unwrap().len() > 10, "{what}: {p}");
        assert!(r.headers.contains_key("www-authenticate"), "{what}");
    }
    let r = send(
        &app,
        axum::http::Request::get(&url)
            .header("authorization", format!("Basic {}", token(AUD_MILANO)))
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    r.assert_problem(401);
    // Nothing was served.
    let cat = env.catalog.lock();
    assert!(cat
        .siuss_flows_by_status(None, FlowStatus::Sent)
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn invalid_parameters_are_400_problems() {
    let env = TestEnv::new();
    let app = env.app();
    let tok = token(AUD_MILANO);
    for q in [
        "",
        "?limit=5",
        "?since=-1",
        "?since=abc",
        "?since=0&limit=101",
        "?since=0&limit=-1",
        "?since=0&limit=ten",
        "?since=1&since=2",
    ] {
        let r = send(&app, get(&format!("{MILANO}/flussi{q}"), Some(&tok))).await;
        r.assert_problem(400);
    }
}

#[tokio::test]
async fn esiti_are_stored_and_drive_the_flow_status() {
    let env = TestEnv::new();
    let app = env.app();
    let tok = token(AUD_MILANO);
    send(&app, get(&format!("{MILANO}/flussi?since=0"), Some(&tok))).await;
    let body = r#"{"elenco_esiti":[
        {"id_flusso":"F205.PS.20260305.0000001","tipo":"PS_PSA_SINA","ts_flusso":"2026-02-25T06:13:20.000Z",
         "ts_acquisizione":"2026-03-05T10:00:00.000Z","codice_esito":"OK","id_acquisizione_siuss":"22738"},
        {"id_flusso":"F205.SINBA.20260305.0000001","tipo":"SINBA","ts_flusso":"2026-02-25T06:13:20.010Z",
         "ts_acquisizione":"2026-03-05T10:00:00.000Z","codice_esito":"RICHIESTA_INVALIDA",
         "descrizione_esito":"In cooperazione è possibile inviare solo un beneficiario e una prestazione sociale"},
        {"id_flusso":"F205.PS.19990101.0000009","tipo":"PS_PSA_SINA","ts_flusso":"2026-02-25T06:13:20.000Z",
         "ts_acquisizione":"2026-03-05T10:00:00.000Z","codice_esito":"ERRORE_GENERICO"}]}"#;
    let r = send(&app, post_json(&format!("{MILANO}/esiti"), Some(&tok), body)).await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.body.is_empty());
    // INPS retrying the same notification changes nothing.
    let r = send(&app, post_json(&format!("{MILANO}/esiti"), Some(&tok), body)).await;
    assert_eq!(r.status, 204);
    {
        let cat = env.catalog.lock();
        let ok = cat.siuss_flow("F205.PS.20260305.0000001").unwrap().unwrap();
        assert_eq!(ok.status, FlowStatus::Accepted);
        assert_eq!(ok.esito.unwrap().id_acquisizione_siuss.as_deref(), Some("22738"));
        let rejected = metrodati_server::rejected_flows(&cat, Some("F205")).unwrap();
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].id_flusso, "F205.SINBA.20260305.0000001");
        let e = rejected[0].esito.as_ref().unwrap();
        assert_eq!(e.codice, CodiceEsito::RichiestaInvalida);
        assert!(e.descrizione.as_deref().unwrap().starts_with("In cooperazione"));
        assert_eq!(cat.siuss_esiti("F205", None).unwrap().len(), 3);
        assert_eq!(cat.unmatched_siuss_esiti(Some("F205")).unwrap().len(), 1);
    }
    // Accepted and rejected flows are not offered again, even from 0.
    let r = send(&app, get(&format!("{MILANO}/flussi?since=0"), Some(&tok))).await;
    assert_eq!(ids(&r.json()), ["F205.PS.20260305.0000002"]);
    // An empty notification is fine.
    let r = send(&app, post_json(&format!("{MILANO}/esiti"), Some(&tok), "{}")).await;
    assert_eq!(r.status, 204);
}

#[tokio::test]
async fn bad_esiti_requests_are_problems_and_store_nothing() {
    let env = TestEnv::new();
    let app = env.app();
    let tok = token(AUD_MILANO);
    let url = format!("{MILANO}/esiti");
    let good = r#"{"id_flusso":"F205.PS.20260305.0000001","tipo":"PS_PSA_SINA","ts_flusso":"2026-02-25T06:13:20.000Z","ts_acquisizione":"2026-03-05T10:00:00.000Z","codice_esito":"OK"}"#;
    for body in [
        "not json".to_string(),
        "[]".into(),
        r#"{"elenco_esiti":{}}"#.into(),
        r#"{"elenco_esiti":[],"more":1}"#.into(),
        // One bad esito fails the batch: the good one is not stored either.
        format!(
            r#"{{"elenco_esiti":[{good},{}]}}"#,
            good.replace("\"OK\"", "\"MAYBE\"")
        ),
        format!(
            r#"{{"elenco_esiti":[{}]}}"#,
            good.replace("2026-03-05T10:00:00.000Z", "yesterday")
        ),
    ] {
        send(&app, post_json(&url, Some(&tok), &body))
            .await
            .assert_problem(400);
    }
    let r = send(
        &app,
        axum::http::Request::post(&url)
            .header("authorization", format!("Bearer {tok}"))
            .header("content-type", "text/plain")
            .body(axum::body::Body::from("{}"))
            .unwrap(),
    )
    .await;
    r.assert_problem(415);
    let huge = format!(r#"{{"elenco_esiti":[],"x":"{}"}}"#, "a".repeat(2 * 1024 * 1024));
    send(&app, post_json(&url, Some(&tok), &huge))
        .await
        .assert_problem(413);
    assert!(env.catalog.lock().siuss_esiti("F205", None).unwrap().is_empty());
}

#[tokio::test]
async fn status_fallbacks_and_health() {
    let env = TestEnv::new();
    let app = env.app();
    let tok = token(AUD_MILANO);
    let r = send(&app, get(&format!("{MILANO}/status"), Some(&tok))).await;
    let p = r.assert_problem(200);
    assert_eq!(p["title"], "OK");
    assert!(p["detail"].as_str().unwrap().contains("Comune di Milano"));
    // Without a voucher even /status and unknown paths under a comune say 401.
    send(&app, get(&format!("{MILANO}/status"), None))
        .await
        .assert_problem(401);
    send(&app, get(&format!("{MILANO}/nothing"), None))
        .await
        .assert_problem(401);
    // With one, unknown paths are 404 and wrong methods 405, as problems.
    send(&app, get(&format!("{MILANO}/nothing"), Some(&tok)))
        .await
        .assert_problem(404);
    send(&app, post_json(&format!("{MILANO}/flussi"), Some(&tok), "{}"))
        .await
        .assert_problem(405);
    // Paths no service owns.
    send(&app, get("/", None)).await.assert_problem(404);
    send(&app, get("/waas/H501/v1/flussi?since=0", Some(&tok)))
        .await
        .assert_problem(404);
    let r = send(&app, get("/healthz", None)).await;
    assert_eq!((r.status.as_u16(), r.body.as_slice()), (200, b"ok\n".as_slice()));
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_the_spec_headers() {
    let env = TestEnv::with_toml(&serve_toml("", "rate_limit = { requests = 2, per = \"1h\" }"));
    let app = env.app();
    let tok = token(AUD_MILANO);
    for _ in 0..2 {
        assert_eq!(
            send(&app, get(&format!("{MILANO}/status"), Some(&tok)))
                .await
                .status,
            200
        );
    }
    let r = send(&app, get(&format!("{MILANO}/status"), Some(&tok))).await;
    r.assert_problem(429);
    for h in [
        "retry-after",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        let v: u32 = r.headers[h].to_str().unwrap().parse().unwrap();
        assert!(v <= 3600, "{h}");
    }
    assert_eq!(r.headers["x-ratelimit-limit"], "2");
    // Unauthenticated requests do not use up the comune's quota, and the
    // other comune has its own (none here).
    send(&app, get(&format!("{MILANO}/status"), None))
        .await
        .assert_problem(401);
    let other = token(AUD_ABBIATEGRASSO);
    assert_eq!(
        send(&app, get(&format!("{ABBIATEGRASSO}/status"), Some(&other)))
            .await
            .status,
        200
    );
}

#[test]
fn the_app_refuses_an_empty_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("serve.toml");
    std::fs::write(&path, "[server]\nbind = \"127.0.0.1:0\"\n").unwrap();
    let config = metrodati_server::ServeConfig::load(&path).unwrap();
    let catalog = metrodati_server::CatalogHandle::new(metrodati_catalog::Catalog::open_in_memory().unwrap());
    let err =
        metrodati_server::router(&config, &metrodati_server::services::Context { catalog }).unwrap_err();
    assert!(matches!(err, metrodati_server::ServeError::NoServices), "{err}");
}

#[test]
fn a_comune_cannot_take_the_health_path() {
    let toml = serve_toml("", "").replace(
        "belfiore = \"F205\"",
        "belfiore = \"F205\"\nbase_path = \"/healthz\"",
    );
    let env = TestEnv::with_toml(&toml);
    let err = metrodati_server::router(
        &env.config,
        &metrodati_server::services::Context {
            catalog: env.catalog.clone(),
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("/healthz"), "{err}");
}

#[test]
fn the_example_configuration_is_valid() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/serve.example.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("keys")).unwrap();
    std::fs::copy(
        fixture("TEST-ONLY-voucher-key-a.pub.pem"),
        dir.path().join("keys/pdnd-interop.pem"),
    )
    .unwrap();
    let config = metrodati_server::ServeConfig::parse(&dir.path().join("serve.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(config.server.bind.ip().is_loopback());
    let waas = config.waas.unwrap();
    assert_eq!(waas.comuni[0].base_path, "/waas/F205/v1");
    assert_eq!(waas.comuni[0].denominazione, "Comune di Milano");
}
