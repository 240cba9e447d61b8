//! Slow and idle clients are cut off at their deadlines (issue 19,
//! finding 1): a client that never finishes the handshake, one that
//! finishes it and sends nothing, one that sends its request head a line
//! a second, an idle keep-alive connection, and a body trickling a byte a
//! second. Before the deadlines every one of them stayed open for as long
//! as the client liked (75 s and counting). Also: one address may not hold
//! more than its share of connections.

use hippo_testkit::TestServer;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Far past every deadline below, far short of what the attacks held.
const CUT_OFF_WITHIN: Duration = Duration::from_secs(12);

async fn server() -> TestServer {
    TestServer::builder()
        .setting(|a| {
            a.handshake_timeout = Some("2s".into());
            a.header_timeout = Some("2s".into());
            a.idle_timeout = Some("4s".into());
            a.body_timeout = Some("2s".into());
            a.min_body_rate = Some("100".into());
            a.max_connections_per_address = Some("8".into());
        })
        .start()
        .await
}

async fn tls(s: &TestServer) -> tokio_rustls::client::TlsStream<TcpStream> {
    let pem = std::fs::read(s.config.data_dir.join("tls/cert.pem")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(&pem).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(("127.0.0.1", s.port())).await.unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap()
}

/// Reads until the server closes; what it sent and when it closed.
async fn until_closed(mut io: impl AsyncRead + Unpin) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(CUT_OFF_WITHIN * 2, read)
        .await
        .expect("the server never closed the connection");
    (got, started.elapsed())
}

#[tokio::test]
async fn slow_and_idle_clients_are_cut_off_at_their_deadlines() {
    let s = server().await;

    // TCP only, no TLS handshake.
    let silent_tcp = async {
        let tcp = TcpStream::connect(("127.0.0.1", s.port())).await.unwrap();
        until_closed(tcp).await
    };
    // Handshake done, then nothing.
    let silent_tls = async { until_closed(tls(&s).await).await };
    // A request head, one header line a second, never the blank line.
    let slow_head = async {
        let io = tls(&s).await;
        let (read, mut write) = tokio::io::split(io);
        let drip = async move {
            let _ = write.write_all(b"GET /healthz HTTP/1.1\r\n").await;
            for i in 0..60 {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if write
                    .write_all(format!("x-drip-{i}: 1\r\n").as_bytes())
                    .await
                    .is_err()
                {
                    break;
                }
            }
        };
        let (closed, ()) = tokio::join!(until_closed(read), async {
            tokio::select! { () = drip => {}, () = tokio::time::sleep(CUT_OFF_WITHIN * 2) => {} }
        });
        closed
    };
    // One request answered, then an idle keep-alive connection.
    let idle_keep_alive = async {
        let mut io = tls(&s).await;
        io.write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n")
            .await
            .unwrap();
        until_closed(io).await
    };
    // A 200-byte body, one byte a second.
    let slow_body = async {
        let io = tls(&s).await;
        let (read, mut write) = tokio::io::split(io);
        let drip = async move {
            let _ = write
                .write_all(
                    b"POST /api/v1/auth/login HTTP/1.1\r\nhost: localhost\r\n\
                      content-type: application/json\r\ncontent-length: 200\r\n\r\n",
                )
                .await;
            for _ in 0..200 {
                if write.write_all(b" ").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        };
        let (closed, ()) = tokio::join!(until_closed(read), async {
            tokio::select! { () = drip => {}, () = tokio::time::sleep(CUT_OFF_WITHIN * 2) => {} }
        });
        closed
    };

    let (tcp, tls_silent, head, idle, body) = tokio::join!(
        silent_tcp,
        silent_tls,
        slow_head,
        idle_keep_alive,
        slow_body
    );
    for (what, (_, took)) in [
        ("no handshake", &tcp),
        ("handshake, then nothing", &tls_silent),
        ("a header line a second", &head),
        ("idle keep-alive", &idle),
        ("a body byte a second", &body),
    ] {
        assert!(took < &CUT_OFF_WITHIN, "{what}: still open after {took:?}");
    }
    let idle_answer = String::from_utf8_lossy(&idle.0);
    assert!(
        idle_answer.starts_with("HTTP/1.1 200"),
        "the request before the idle spell is answered: {idle_answer}"
    );
    assert!(
        !String::from_utf8_lossy(&body.0).starts_with("HTTP/1.1 200"),
        "a body that never arrived is not a sign-in"
    );

    // A client that keeps its requests coming is not cut off.
    let resp = s
        .client
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn one_address_holds_only_its_share_of_connections() {
    let s = server().await;
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(tls(&s).await);
    }
    // The ninth is closed at once, before any handshake.
    let mut ninth = TcpStream::connect(("127.0.0.1", s.port())).await.unwrap();
    let _ = ninth.write_all(b"\x16\x03\x01").await;
    let (_, took) = until_closed(ninth).await;
    assert!(took < Duration::from_secs(1), "the ninth stayed {took:?}");
    // Once one closes, a new one is served.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut io = tls(&s).await;
    io.write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = until_closed(io).await;
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
}

/// An upload refused before its body is read (here: no credentials) is
/// still read by an HTTP/1.1 client that keeps sending: the server
/// answers, stops writing, and reads (discarding) a little longer before
/// it closes, instead of closing under the sender, whose kernel would
/// then report a reset rather than the problem document.
#[tokio::test]
async fn a_refusal_before_the_body_is_read_reaches_an_http1_client() {
    let s = server().await;
    // Like many simple clients: the whole request first, then the answer.
    let mut io = tls(&s).await;
    let head = "POST /api/v1/attachments?filename=scan.pdf HTTP/1.1\r\nhost: localhost\r\n\
                content-type: application/pdf\r\ncontent-length: 8388608\r\n\r\n";
    let sent = async {
        io.write_all(head.as_bytes()).await?;
        let chunk = vec![0u8; 64 * 1024];
        for _ in 0..128 {
            io.write_all(&chunk).await?;
        }
        io.flush().await
    }
    .await;
    assert!(sent.is_ok(), "the server closed under the sender: {sent:?}");
    let (answer, _) = until_closed(io).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{text}"
    );
}
