//! A TLS front for the loopback ARM: its own CA and a certificate for 127.0.0.1, ALPN h2 and
//! http/1.1, each request forwarded to the emulator. It counts TLS connections and requests by
//! HTTP version, so a test can see connection reuse and HTTP/2 as ARM would serve them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Default)]
pub struct Counts {
    pub connections: AtomicUsize,
    pub http2: AtomicUsize,
    pub http1: AtomicUsize,
}

pub struct TlsFront {
    pub url: String,
    pub ca_pem: PathBuf,
    pub counts: Arc<Counts>,
}

/// A test certificate authority and a certificate for 127.0.0.1 it signed; its PEM in a file.
pub struct TestCa {
    pub pem: PathBuf,
    leaf: rcgen::Certificate,
    leaf_key: Arc<rcgen::KeyPair>,
}

impl TestCa {
    /// A new CA, its PEM written to `dir/test-ca.pem`.
    pub fn new(dir: &Path) -> Self {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "logposture test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf_params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
        let pem = dir.join("test-ca.pem");
        std::fs::write(&pem, ca.pem()).unwrap();
        Self {
            pem,
            leaf,
            leaf_key: Arc::new(leaf_key),
        }
    }
}

/// Starts the front before `backend` (the emulator's base URL) with a CA of its own in `dir`.
pub async fn start(backend: String, dir: &Path) -> TlsFront {
    start_with(backend, &TestCa::new(dir)).await
}

/// Starts the front before `backend` with a certificate of `ca`.
pub async fn start_with(backend: String, ca: &TestCa) -> TlsFront {
    let (leaf, leaf_key, ca_pem) = (&ca.leaf, &ca.leaf_key, ca.pem.clone());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let counts = Arc::new(Counts::default());
    let client = reqwest::Client::new();
    let (front, c) = (url.clone(), counts.clone());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            c.connections.fetch_add(1, Ordering::SeqCst);
            let (acceptor, client, backend, front, c) = (
                acceptor.clone(),
                client.clone(),
                backend.clone(),
                front.clone(),
                c.clone(),
            );
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                    let (client, backend, front, c) =
                        (client.clone(), backend.clone(), front.clone(), c.clone());
                    async move {
                        if req.version() == hyper::Version::HTTP_2 {
                            c.http2.fetch_add(1, Ordering::SeqCst);
                        } else {
                            c.http1.fetch_add(1, Ordering::SeqCst);
                        }
                        forward(req, &client, &backend, &front).await
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    TlsFront {
        url,
        ca_pem,
        counts,
    }
}

/// The request to the emulator, its answer back with the emulator's own URL (nextLinks)
/// rewritten to the front's.
async fn forward(
    req: hyper::Request<Incoming>,
    client: &reqwest::Client,
    backend: &str,
    front: &str,
) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let method = req.method().clone();
    let mut headers = req.headers().clone();
    headers.remove(hyper::header::HOST);
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let answer = client
        .request(method, format!("{backend}{path}"))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let Ok(answer) = answer else {
        return Ok(hyper::Response::builder()
            .status(502)
            .body(Full::new(Bytes::new()))
            .unwrap());
    };
    let mut out = hyper::Response::builder().status(answer.status());
    for (k, v) in answer.headers() {
        // Connection-level headers do not exist in HTTP/2.
        let hop = [
            hyper::header::CONTENT_LENGTH,
            hyper::header::TRANSFER_ENCODING,
            hyper::header::CONNECTION,
        ];
        if !hop.contains(k) && k.as_str() != "keep-alive" {
            out = out.header(k, v);
        }
    }
    let text = answer.bytes().await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).replace(backend, front);
    Ok(out.body(Full::new(Bytes::from(text))).unwrap())
}
