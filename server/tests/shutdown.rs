//! Graceful shutdown of the real server on a loopback socket.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Starts the real server; returns its address, a shutdown trigger and its
/// task.
async fn start(
    env: &TestEnv,
    grace: Duration,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = env.app();
    let task = tokio::spawn(metrodati_server::serve(
        listener,
        app,
        async move {
            let _ = rx.await;
        },
        grace,
    ));
    (addr, tx, task)
}

async fn raw_get(addr: std::net::SocketAddr, path: &str, token: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    s
}

/// Holds the catalog lock on another thread until told to let go, so a
/// request is in flight for as long as the test wants.
fn hold_catalog(env: &TestEnv) -> std::sync::mpsc::Sender<()> {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel::<()>();
    let catalog = env.catalog.clone();
    std::thread::spawn(move || {
        let _g = catalog.lock();
        locked_tx.send(()).unwrap();
        let _ = rx.recv();
    });
    locked_rx.recv().unwrap();
    tx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_the_request_in_flight_finish() {
    let env = TestEnv::new();
    let (addr, stop, server) = start(&env, Duration::from_secs(10)).await;
    let release = hold_catalog(&env);
    let mut conn = raw_get(addr, &format!("{MILANO}/flussi?since=0"), &token(AUD_MILANO)).await;
    // Let the request reach its handler (which waits for the catalog).
    tokio::time::sleep(Duration::from_millis(500)).await;

    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // No new connections once shutting down...
    assert!(!server.is_finished());
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed while the last request finishes"
    );
    // ...but the request in flight completes.
    release.send(()).unwrap();
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_string(&mut out))
        .await
        .unwrap()
        .unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains("F205.PS.20260305.0000001"), "{out}");
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops after its last request")
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "still listening");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_past_the_grace_period() {
    let env = TestEnv::new();
    let (addr, stop, server) = start(&env, Duration::from_millis(300)).await;
    let release = hold_catalog(&env);
    let _conn = raw_get(addr, &format!("{MILANO}/flussi?since=0"), &token(AUD_MILANO)).await;
    // An idle keep-alive connection does not hold the server up either.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 256];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    tokio::time::sleep(Duration::from_millis(500)).await;

    let t = Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve returns after the grace period")
        .unwrap()
        .unwrap();
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(3),
        "{took:?}"
    );
    release.send(()).unwrap();
}
