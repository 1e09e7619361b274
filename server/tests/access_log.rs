//! Structured access logs: one event per request with comune and subject,
//! never the voucher. (Alone in its test binary: it installs a scoped
//! subscriber, and tracing caches callsite interest across threads.)

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn every_request_is_logged_with_its_comune_and_subject_but_never_the_token() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let env = TestEnv::new();
    let app = env.app();
    let tok = token(AUD_MILANO);
    let wrong = token(AUD_ABBIATEGRASSO);
    send(&app, get(&format!("{MILANO}/flussi?since=0&limit=1"), Some(&tok))).await;
    send(&app, get(&format!("{MILANO}/flussi?since=0"), Some(&wrong))).await;
    send(&app, get("/nowhere", None)).await;

    let log = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    let access: Vec<&str> = log.lines().filter(|l| l.contains("metrodati::access")).collect();
    assert_eq!(access.len(), 3, "{log}");
    let ok = access[0];
    for part in [
        "method=GET",
        "path=/waas/F205/v1/flussi",
        "status=200",
        "latency_ms=",
        "service=\"waas\"",
        "comune=\"F205\"",
        "subject=\"inps-waas-client\"",
        "auth_error=\"-\"",
    ] {
        assert!(ok.contains(part), "{part} missing in {ok}");
    }
    assert!(access[1].contains("status=401") && access[1].contains("auth_error=\"audience\""));
    assert!(access[1].contains("subject=\"-\""), "{}", access[1]);
    assert!(access[2].contains("status=404") && access[2].contains("service=\"-\""));
    // Neither the voucher nor any piece of it, nor the query string.
    for t in [&tok, &wrong] {
        for piece in t.split('.') {
            assert!(!log.contains(piece), "token material in the log:\n{log}");
        }
    }
    assert!(!log.contains("?since="), "{log}");
}
