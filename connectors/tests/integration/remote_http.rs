//! Remote objects over plain HTTP, against a tiny server on 127.0.0.1
//! started by the test itself (bounded: it stops after the test or 30 s).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use metrodati_connectors::{open_reader, resolve, Format, FormatSpec};
use sha2::{Digest, Sha256};

use crate::helpers::strings;

struct Server {
    base: String,
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn respond(mut s: TcpStream, files: &[(&str, Vec<u8>)]) {
    let _ = s.set_nonblocking(false);
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&req).into_owned();
    let mut parts = head.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let file = files.iter().find(|(p, _)| *p == path);
    let (status, body): (&str, &[u8]) = match (method.as_str(), file) {
        ("GET" | "HEAD", Some((_, body))) => ("200 OK", body),
        ("GET" | "HEAD", None) => ("404 Not Found", b""),
        _ => ("405 Method Not Allowed", b""),
    };
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if method == "GET" {
        out.extend_from_slice(body);
    }
    let _ = s.write_all(&out);
}

fn serve(files: Vec<(&'static str, Vec<u8>)>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let handle = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !flag.load(Ordering::Relaxed) && Instant::now() < deadline {
            match listener.accept() {
                Ok((s, _)) => respond(s, &files),
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    Server {
        base,
        stop,
        handle: Some(handle),
    }
}

#[test]
fn http_objects_resolve_open_fingerprint_and_read() {
    let csv = "Titolo\ncodice;comune\n015146;Milano\n015077;Cantù\n"
        .as_bytes()
        .to_vec();
    let server = serve(vec![("/dati/comuni.csv", csv.clone())]);

    let url = format!("{}/dati/comuni.csv", server.base);
    let objs = resolve(&url, std::path::Path::new("/")).unwrap();
    assert_eq!(objs.len(), 1);
    let o = &objs[0];
    assert_eq!(o.url(), url);
    assert_eq!(o.size(), csv.len() as u64);
    assert_eq!(o.file_name(), "comuni.csv");
    assert_eq!(o.extension().as_deref(), Some("csv"));
    assert!(o.local_path().is_none());

    let mut got = Vec::new();
    o.open().unwrap().read_to_end(&mut got).unwrap();
    assert_eq!(got, csv);
    assert_eq!(o.fingerprint().unwrap(), hex::encode(Sha256::digest(&csv)));

    let r = open_reader(&FormatSpec::new(Format::Csv), o, &strings(&["codice", "comune"])).unwrap();
    assert_eq!(r.header(), strings(&["codice", "comune"]).as_slice());
    let rows: Vec<_> = r.collect::<Result<Vec<_>, _>>().unwrap();
    assert_eq!(rows.len(), 2);

    // A missing object is no match, not an error.
    let missing = format!("{}/dati/assente.csv", server.base);
    assert!(resolve(&missing, std::path::Path::new("/")).unwrap().is_empty());

    // This server refuses PUT: a clear error, not a panic.
    let err = metrodati_connectors::atomic::put_atomic(&url, bytes::Bytes::from_static(b"x")).unwrap_err();
    assert!(err.to_string().contains(&url), "{err}");
}

/// A remote Parquet file is fetched once and read in slices from the shared
/// buffer; rows and line numbers are those of the file.
#[test]
fn http_parquet_is_read_across_slices() {
    use metrodati_connectors::format::parquet::SLICE_ROWS;
    use metrodati_connectors::RowItem;
    use polars::prelude::*;

    let n = SLICE_ROWS + 5;
    let mut df = DataFrame::new(
        n,
        vec![
            Column::new("CODICE".into(), (0..n as i64).collect::<Vec<i64>>()),
            Column::new(
                "COMUNE".into(),
                (0..n).map(|i| format!("C{i}")).collect::<Vec<String>>(),
            ),
        ],
    )
    .unwrap();
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut df).unwrap();
    let server = serve(vec![("/dati/r.parquet", bytes)]);

    let url = format!("{}/dati/r.parquet", server.base);
    let objs = resolve(&url, std::path::Path::new("/")).unwrap();
    let r = open_reader(&FormatSpec::new(Format::Parquet), &objs[0], &[]).unwrap();
    assert_eq!(r.header(), strings(&["CODICE", "COMUNE"]).as_slice());
    let rows: Vec<_> = r
        .map(|i| match i.unwrap() {
            RowItem::Row(r) => r,
            RowItem::Rejected(r) => panic!("unexpected {r:?}"),
        })
        .collect();
    assert_eq!(rows.len(), n);
    let last = rows.last().unwrap();
    assert_eq!(last.line, n as u64);
    assert_eq!(
        last.values,
        vec![Some((n - 1).to_string()), Some(format!("C{}", n - 1))]
    );
}
