//! The real-time stream over TLS: open a socket, wait for frames.

use crate::TestServer;
use serde_json::{Value, json};
use std::time::Duration;

/// A client socket on `GET /api/v1/stream`.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

impl TestServer {
    /// Opens `GET /api/v1/stream` over TLS, with the token in the
    /// `Authorization` header when given.
    pub async fn ws(&self, header_token: Option<&str>) -> Ws {
        ws_to(&self.config.data_dir, self.port(), header_token).await
    }
}

/// Opens `GET /api/v1/stream` over TLS on a local node whose generated
/// certificate is in `data_dir`, with the token in the header when given.
pub async fn ws_to(data_dir: &std::path::Path, port: u16, header_token: Option<&str>) -> Ws {
    let auth = header_token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| vec![("authorization", a)])
        .unwrap_or_default();
    ws_with_headers(data_dir, port, &headers)
        .await
        .expect("WebSocket upgrade")
}

/// Opens `GET /api/v1/stream` with the given request headers (a cookie,
/// an origin); the upgrade's refusal is returned, not panicked on.
pub async fn ws_with_headers(
    data_dir: &std::path::Path,
    port: u16,
    headers: &[(&str, &str)],
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let stream = tls_to(data_dir, port, &[b"http/1.1"]).await;
    let mut req = format!("wss://localhost:{port}/api/v1/stream")
        .into_client_request()
        .unwrap();
    for (name, value) in headers {
        req.headers_mut().insert(
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let (ws, _) = tokio_tungstenite::client_async(req, stream).await?;
    Ok(ws)
}

/// A raw TLS connection to a local node (its generated certificate in
/// `data_dir`), offering the given ALPN protocols: for tests that must
/// control the bytes on the wire.
pub async fn tls_to(
    data_dir: &std::path::Path,
    port: u16,
    alpn: &[&[u8]],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let pem = std::fs::read(data_dir.join("tls/cert.pem")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in
        <rustls::pki_types::CertificateDer as rustls::pki_types::pem::PemObject>::pem_slice_iter(
            &pem,
        )
    {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut tls = tls;
    tls.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(tls))
        .connect(name, tcp)
        .await
        .unwrap()
}

/// The next JSON frame (skipping pings), or `None` when the socket closed.
pub async fn next_frame(ws: &mut Ws) -> Option<Value> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("frame within 10 s");
        match msg {
            Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(t.as_str()).unwrap()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

/// The next frame of `kind`, skipping others.
pub async fn frame_of(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let f = next_frame(ws)
            .await
            .unwrap_or_else(|| panic!("socket closed while waiting for {kind}"));
        if f["type"] == json!(kind) {
            return f;
        }
    }
}
