//! The per-address budget of unauthenticated requests (issue 19): an
//! address that floods credential-less requests, or sends refused
//! credentials, gets 429 with Retry-After for its credential-less requests;
//! a signed-in user behind the same address keeps working, other addresses
//! (an IPv6 client by its /64) are untouched, and health checks are never
//! counted. Addresses come from X-Forwarded-For through a trusted proxy
//! (the test client on 127.0.0.1), so one test can be several clients.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

/// `unauthenticated_rate = 1`: ten requests saved up, then one a second.
async fn server() -> TestServer {
    TestServer::builder()
        .setting(|a| {
            a.trusted_proxies = Some("127.0.0.0/8".into());
            a.unauthenticated_rate = Some("1".into());
        })
        .start()
        .await
}

/// `GET path` as the client `from`, with `bearer` if given.
async fn get_from(
    s: &TestServer,
    from: &str,
    path: &str,
    bearer: Option<&str>,
) -> (StatusCode, Option<String>, Value) {
    let mut req = s.client.get(s.url(path)).header("x-forwarded-for", from);
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, retry, body)
}

#[tokio::test]
async fn a_flood_without_credentials_is_slowed_and_signed_in_users_behind_it_are_not() {
    let s = server().await;
    let nora = s.clinician("nora").await;
    let flooder = "203.0.113.7";
    for _ in 0..10 {
        let (status, _, body) = get_from(&s, flooder, "/api/v1/me", None).await;
        assert_problem(status, &body, 401, "unauthenticated");
    }
    let (status, retry, body) = get_from(&s, flooder, "/api/v1/me", None).await;
    assert_problem(status, &body, 429, "rate_limited");
    let retry: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    // The same address with a credential is served.
    let (status, _, body) = get_from(&s, flooder, "/api/v1/me", Some(&nora.token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["username"], "nora");
    // Health checks are never counted.
    let (status, _, _) = get_from(&s, flooder, "/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
    // Another address has its own budget.
    let (status, _, body) = get_from(&s, "198.51.100.9", "/api/v1/me", None).await;
    assert_problem(status, &body, 401, "unauthenticated");
    // A cell comes back after a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _, body) = get_from(&s, flooder, "/api/v1/me", None).await;
    assert_problem(status, &body, 401, "unauthenticated");
}

#[tokio::test]
async fn refused_credentials_spend_the_budget_and_ipv6_counts_by_its_64() {
    let s = server().await;
    let guesser = "2001:db8:1:2::1";
    for _ in 0..10 {
        let (status, _, body) = get_from(&s, guesser, "/api/v1/me", Some("guessed-token")).await;
        assert_problem(status, &body, 401, "unauthenticated");
    }
    // Its next credential-less request waits; so does its /64 neighbour's.
    for from in [guesser, "2001:db8:1:2:ffff::9"] {
        let (status, _, body) = get_from(&s, from, "/api/v1/me", None).await;
        assert_problem(status, &body, 429, "rate_limited");
    }
    // The next /64 is someone else.
    let (status, _, body) = get_from(&s, "2001:db8:1:3::1", "/api/v1/me", None).await;
    assert_problem(status, &body, 401, "unauthenticated");
}
