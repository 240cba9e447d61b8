//! The transport: a TLS 1.2/1.3 listener (rustls with the aws-lc-rs
//! provider) with optional mandatory client certificates, a plain listener
//! for `--insecure-http`, and the self-signed certificate generated for
//! localhost when none is configured.
//!
//! Handshakes run on their own tasks with a timeout, so a slow or hostile
//! client never blocks the others; failed handshakes (plain HTTP, TLS 1.1,
//! no client certificate) are dropped.

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::server::{AddressSlots, Conn, Limits};

/// Who is on the other end of a connection; handlers read it through
/// `ConnectInfo<Peer>`.
#[derive(Clone, Debug)]
pub struct Peer {
    pub addr: SocketAddr,
    /// SHA-256 of the client certificate (lower-case hex), under mutual TLS.
    pub client_cert_sha256: Option<String>,
}

/// Configured certificate files.
#[derive(Clone, Debug, Default)]
pub struct TlsFiles {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub client_ca: Option<PathBuf>,
}

/// A ready server configuration.
pub struct ServerTls {
    pub config: Arc<ServerConfig>,
    /// SHA-256 of the served leaf certificate, `AB:CD:…`.
    pub fingerprint_sha256: String,
    /// The certificate was generated (self-signed) rather than configured.
    pub generated: bool,
}

/// Why TLS could not be set up; one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("--tls-cert and --tls-key must be given together ({0} is missing)")]
    Incomplete(&'static str),
    #[error("TLS file {path}: {why}")]
    File { path: PathBuf, why: String },
    #[error("TLS configuration: {0}")]
    Config(String),
}

fn file_err(path: &Path, why: impl std::fmt::Display) -> TlsError {
    TlsError::File {
        path: path.to_owned(),
        why: why.to_string(),
    }
}

/// Upper-case hex with colons, as browsers show fingerprints.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn hex_lower(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Generates `<dir>/cert.pem` and `<dir>/key.pem` (0600) for localhost.
fn generate_self_signed(dir: &Path) -> Result<(), TlsError> {
    std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| file_err(dir, e))?;
    }
    let sans = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let mut params =
        rcgen::CertificateParams::new(sans).map_err(|e| TlsError::Config(e.to_string()))?;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(365);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "hippo self-signed (localhost)");
    let key = rcgen::KeyPair::generate().map_err(|e| TlsError::Config(e.to_string()))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let key_path = dir.join("key.pem");
    write_private(&key_path, key.serialize_pem().as_bytes())?;
    let cert_path = dir.join("cert.pem");
    std::fs::write(&cert_path, cert.pem()).map_err(|e| file_err(&cert_path, e))?;
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| file_err(path, e))?;
    // `mode` only applies on creation: tighten a pre-existing file before
    // the key goes in.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| file_err(path, e))?;
    }
    f.write_all(bytes).map_err(|e| file_err(path, e))?;
    f.sync_all().map_err(|e| file_err(path, e))
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_err(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_err(path, e))?;
    if certs.is_empty() {
        return Err(file_err(path, "no PEM certificate found"));
    }
    Ok(certs)
}

/// The protocol versions the listener offers ([`PROTOCOL_VERSIONS`] in
/// words, for the evidence report).
const VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];
/// [`VERSIONS`] as the evidence report states them.
pub const PROTOCOL_VERSIONS: &[&str] = &["TLS 1.3", "TLS 1.2"];

/// Builds the server configuration: TLS 1.3 and 1.2 only, ALPN h2 and
/// http/1.1, client certificates required when `client_ca` is given.
/// Without configured files, serves (generating on first use) a self-signed
/// certificate from `<data_dir>/tls/`.
pub fn load_server_tls(data_dir: &Path, files: &TlsFiles) -> Result<ServerTls, TlsError> {
    let (cert_path, key_path, generated) = match (&files.cert, &files.key) {
        (Some(c), Some(k)) => (c.clone(), k.clone(), false),
        (Some(_), None) => return Err(TlsError::Incomplete("--tls-key")),
        (None, Some(_)) => return Err(TlsError::Incomplete("--tls-cert")),
        (None, None) => {
            let dir = data_dir.join("tls");
            let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
            let fresh = !c.exists() || !k.exists();
            if fresh {
                generate_self_signed(&dir)?;
            }
            (c, k, fresh)
        }
    };
    let certs = load_certs(&cert_path)?;
    let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|e| file_err(&key_path, e))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(VERSIONS)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let builder = match &files.client_ca {
        Some(ca_path) => {
            let mut roots = rustls::RootCertStore::empty();
            for ca in load_certs(ca_path)? {
                roots.add(ca).map_err(|e| file_err(ca_path, e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| file_err(ca_path, e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let leaf = certs[0].clone();
    let mut config = builder.with_single_cert(certs, key).map_err(|e| {
        file_err(
            &cert_path,
            format!("certificate and key do not match or are unusable: {e}"),
        )
    })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(ServerTls {
        config: Arc::new(config),
        fingerprint_sha256: fingerprint(leaf.as_ref()),
        generated,
    })
}

/// Accept errors such as EMFILE: wait a little instead of spinning.
async fn accept_backoff(e: &std::io::Error) {
    tracing::warn!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// An `axum::serve` listener over TLS.
pub struct TlsListener {
    local: SocketAddr,
    rx: mpsc::Receiver<(Conn<TlsStream<TcpStream>>, Peer)>,
    accept_task: tokio::task::JoinHandle<()>,
}

/// A slot for a connection from `addr` under `limits`, or `None` (the
/// connection is dropped) when its address has its fill.
fn slot(
    slots: &Arc<AddressSlots>,
    addr: SocketAddr,
    limits: &Limits,
) -> Option<crate::server::Slot> {
    let ip = addr.ip();
    let exempt = limits
        .exempt
        .iter()
        .any(|net| net.contains(&hippo_service::net::unmapped(ip)));
    let slot = slots.take(ip, limits.max_connections_per_address, exempt);
    if slot.is_none() {
        tracing::debug!("refused a connection: its address has too many open");
    }
    slot
}

impl TlsListener {
    pub async fn bind(
        addr: SocketAddr,
        config: Arc<ServerConfig>,
        limits: &Limits,
    ) -> std::io::Result<Self> {
        let limits = limits.clone();
        let slots = Arc::new(AddressSlots::default());
        let tcp = TcpListener::bind(addr).await?;
        let local = tcp.local_addr()?;
        let acceptor = TlsAcceptor::from(config);
        let (tx, rx) = mpsc::channel(256);
        let accept_task = tokio::spawn(async move {
            loop {
                let (sock, addr) = match tcp.accept().await {
                    Ok(x) => x,
                    Err(e) => {
                        accept_backoff(&e).await;
                        continue;
                    }
                };
                let Some(slot) = slot(&slots, addr, &limits) else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                let handshake_timeout = limits.handshake_timeout;
                tokio::spawn(async move {
                    let _ = sock.set_nodelay(true);
                    match tokio::time::timeout(handshake_timeout, acceptor.accept(sock)).await {
                        Ok(Ok(stream)) => {
                            let client_cert_sha256 = stream
                                .get_ref()
                                .1
                                .peer_certificates()
                                .and_then(|c| c.first())
                                .map(|c| hex_lower(c.as_ref()));
                            let _ = tx
                                .send((
                                    Conn::new(stream, slot),
                                    Peer {
                                        addr,
                                        client_cert_sha256,
                                    },
                                ))
                                .await;
                        }
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self {
            local,
            rx,
            accept_task,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

impl Listener for TlsListener {
    type Io = Conn<TlsStream<TcpStream>>;
    type Addr = Peer;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(conn) => conn,
            // The accept task only ends when the listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(Peer {
            addr: self.local,
            client_cert_sha256: None,
        })
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A plain TCP listener, for `--insecure-http` behind a TLS proxy.
pub struct PlainListener {
    tcp: TcpListener,
    limits: Limits,
    slots: Arc<AddressSlots>,
}

impl PlainListener {
    pub async fn bind(addr: SocketAddr, limits: &Limits) -> std::io::Result<Self> {
        Ok(Self {
            tcp: TcpListener::bind(addr).await?,
            limits: limits.clone(),
            slots: Arc::new(AddressSlots::default()),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

impl Listener for PlainListener {
    type Io = Conn<TcpStream>;
    type Addr = Peer;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.tcp.accept().await {
                Ok((sock, addr)) => {
                    let Some(slot) = slot(&self.slots, addr, &self.limits) else {
                        continue;
                    };
                    let _ = sock.set_nodelay(true);
                    return (
                        Conn::new(sock, slot),
                        Peer {
                            addr,
                            client_cert_sha256: None,
                        },
                    );
                }
                Err(e) => accept_backoff(&e).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(Peer {
            addr: self.tcp.local_addr()?,
            client_cert_sha256: None,
        })
    }
}

impl Connected<IncomingStream<'_, PlainListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, PlainListener>) -> Self {
        stream.remote_addr().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::extract::ConnectInfo;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn serve(config: Arc<ServerConfig>) -> SocketAddr {
        let listener = TlsListener::bind(
            "127.0.0.1:0".parse().unwrap(),
            config,
            &crate::server::Limits::default(),
        )
        .await
        .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route(
            "/who",
            get(|ConnectInfo(peer): ConnectInfo<Peer>| async move {
                peer.client_cert_sha256.unwrap_or_else(|| "none".into())
            }),
        );
        tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<Peer>())
                .await
                .unwrap();
        });
        addr
    }

    fn client_config(
        trust: &Path,
        identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    ) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        for c in load_certs(trust).unwrap() {
            roots.add(c).unwrap();
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
        Arc::new(match identity {
            Some((chain, key)) => builder.with_client_auth_cert(chain, key).unwrap(),
            None => builder.with_no_client_auth(),
        })
    }

    /// GET /who over TLS; the body, or an error if the server refused us.
    async fn who(addr: SocketAddr, config: Arc<rustls::ClientConfig>) -> std::io::Result<String> {
        let tcp = TcpStream::connect(addr).await?;
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await?;
        tls.write_all(b"GET /who HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await?;
        let mut out = Vec::new();
        tls.read_to_end(&mut out).await?;
        let text = String::from_utf8_lossy(&out).into_owned();
        if !text.starts_with("HTTP/1.1 200") {
            return Err(std::io::Error::other(text));
        }
        Ok(text
            .rsplit("\r\n\r\n")
            .next()
            .unwrap_or_default()
            .to_owned())
    }

    /// Raw bytes in, the server's first bytes out (empty when it closed).
    async fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(bytes).await.unwrap();
        let mut buf = vec![0u8; 512];
        match tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf)).await {
            Ok(Ok(n)) => buf[..n].to_vec(),
            _ => Vec::new(),
        }
    }

    /// A TLS 1.1 ClientHello: legacy version 0x0302, TLS 1.0/1.1 suites,
    /// no supported_versions extension.
    fn tls11_client_hello() -> Vec<u8> {
        let mut body = vec![0x03, 0x02];
        body.extend_from_slice(&[7u8; 32]);
        body.push(0);
        body.extend_from_slice(&[0x00, 0x04, 0xc0, 0x13, 0x00, 0x2f]);
        body.extend_from_slice(&[0x01, 0x00]);
        let mut hs = vec![0x01, 0x00, 0x00, u8::try_from(body.len()).unwrap()];
        hs.extend_from_slice(&body);
        let mut record = vec![0x16, 0x03, 0x02, 0x00, u8::try_from(hs.len()).unwrap()];
        record.extend_from_slice(&hs);
        record
    }

    #[tokio::test]
    async fn generates_a_localhost_certificate_once_and_serves_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_server_tls(dir.path(), &TlsFiles::default()).unwrap();
        assert!(first.generated);
        assert_eq!(first.fingerprint_sha256.len(), 95);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("tls/key.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let second = load_server_tls(dir.path(), &TlsFiles::default()).unwrap();
        assert!(!second.generated);
        assert_eq!(first.fingerprint_sha256, second.fingerprint_sha256);

        let addr = serve(second.config).await;
        let body = who(addr, client_config(&dir.path().join("tls/cert.pem"), None))
            .await
            .unwrap();
        assert_eq!(body, "none");
    }

    /// A key file left with a wider mode (e.g. the cert was deleted and is
    /// regenerated) is tightened to 0600 before the new key is written.
    #[cfg(unix)]
    #[test]
    fn regenerated_key_is_private_even_over_a_wider_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let tls_dir = dir.path().join("tls");
        std::fs::create_dir_all(&tls_dir).unwrap();
        let key = tls_dir.join("key.pem");
        std::fs::write(&key, "stale").unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let tls = load_server_tls(dir.path(), &TlsFiles::default()).unwrap();
        assert!(tls.generated);
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[tokio::test]
    async fn refuses_tls_1_1_and_plain_http() {
        let dir = tempfile::tempdir().unwrap();
        let tls = load_server_tls(dir.path(), &TlsFiles::default()).unwrap();
        let addr = serve(tls.config).await;

        let answer = raw_exchange(addr, &tls11_client_hello()).await;
        assert_ne!(
            answer.first(),
            Some(&0x16),
            "must not answer a TLS 1.1 hello with a ServerHello"
        );
        assert!(
            answer.is_empty() || answer[0] == 0x15,
            "an alert or a close: {answer:?}"
        );

        let answer = raw_exchange(addr, b"GET /who HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
        assert!(
            !answer.starts_with(b"HTTP/"),
            "plain HTTP must not be served: {answer:?}"
        );
    }

    #[tokio::test]
    async fn client_certificates_are_required_and_checked_under_mtls() {
        let dir = tempfile::tempdir().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "device CA");
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
                .unwrap();
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, ca.pem()).unwrap();

        let issue = |issuer: &rcgen::Issuer<'_, rcgen::KeyPair>| {
            let mut params = rcgen::CertificateParams::new(vec!["device-1".to_owned()]).unwrap();
            params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
            let key = rcgen::KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, issuer).unwrap();
            let der_key = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
            (vec![cert.der().clone()], der_key)
        };
        let good = issue(&ca);
        let good_fp = hex_lower(good.0[0].as_ref());
        let mut rogue_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        rogue_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let rogue_ca =
            rcgen::CertifiedIssuer::self_signed(rogue_params, rcgen::KeyPair::generate().unwrap())
                .unwrap();
        let rogue = issue(&rogue_ca);

        let files = TlsFiles {
            client_ca: Some(ca_path),
            ..TlsFiles::default()
        };
        let tls = load_server_tls(dir.path(), &files).unwrap();
        let addr = serve(tls.config).await;
        let trust = dir.path().join("tls/cert.pem");

        assert!(
            who(addr, client_config(&trust, None)).await.is_err(),
            "no certificate"
        );
        assert!(
            who(addr, client_config(&trust, Some(rogue))).await.is_err(),
            "certificate from another CA"
        );
        let body = who(addr, client_config(&trust, Some(good))).await.unwrap();
        assert_eq!(body, good_fp);
    }

    #[test]
    fn cert_and_key_go_together_and_bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let only_cert = TlsFiles {
            cert: Some(dir.path().join("c.pem")),
            ..TlsFiles::default()
        };
        assert!(
            load_server_tls(dir.path(), &only_cert)
                .err()
                .unwrap()
                .to_string()
                .contains("--tls-key")
        );
        let missing = TlsFiles {
            cert: Some(dir.path().join("c.pem")),
            key: Some(dir.path().join("k.pem")),
            client_ca: None,
        };
        assert!(
            load_server_tls(dir.path(), &missing)
                .err()
                .unwrap()
                .to_string()
                .contains("c.pem")
        );
        let garbage = dir.path().join("g.pem");
        std::fs::write(&garbage, "not pem").unwrap();
        let bad = TlsFiles {
            cert: Some(garbage.clone()),
            key: Some(garbage),
            client_ca: None,
        };
        assert!(
            load_server_tls(dir.path(), &bad)
                .err()
                .unwrap()
                .to_string()
                .contains("g.pem")
        );
    }
}
