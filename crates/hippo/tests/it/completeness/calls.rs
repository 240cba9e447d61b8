//! The calls rows of the completeness table: every call endpoint, with
//! the calls it needs started first.

use super::cases::{Case, Expect, case};
use crate::support::{SignedIn, TestServer};
use reqwest::Method;
use serde_json::json;

pub(super) async fn cases(
    s: &TestServer,
    ana_user: &SignedIn,
    ben_user: &SignedIn,
    cat: &str,
    conv: &str,
    other_conv: &str,
) -> Vec<Case> {
    use Expect::{Exempt, Records};
    let (g, p) = (Method::GET, Method::POST);
    let (ana, ben) = (ana_user.token.clone(), ben_user.token.clone());
    let cat = cat.to_owned();
    // Calls: one ringing in a third conversation (joined, then left, in
    // the table), one in the other group (declined in the table); the
    // table starts a third in `conv`.
    let dm = s.group(ana_user, [ben_user], "call").await;
    let start_call = |c: String| {
        let s = &s;
        let ana = ana_user.token.clone();
        async move {
            let (_, call) = s
                .post(
                    &format!("/api/v1/conversations/{c}/calls"),
                    Some(&ana),
                    json!({"media": "audio"}),
                )
                .await;
            call["id"].as_str().unwrap().to_owned()
        }
    };
    let call = start_call(dm).await;
    // In a conversation of its own: the table erases `other_conv` before
    // these rows run.
    let _ = other_conv;
    let ring = s.group(ana_user, [ben_user], "ring").await;
    let rung = start_call(ring).await;

    vec![
        case(
            g.clone(),
            "/api/v1/calls/ice-servers",
            "/api/v1/calls/ice-servers",
            &ana,
            None,
            Exempt("short-lived TURN credentials naming nobody; the calls they serve are audited"),
            None,
        ),
        case(
            p.clone(),
            "/api/v1/conversations/{id}/calls",
            format!("/api/v1/conversations/{conv}/calls"),
            &ana,
            Some(json!({"media": "video"})),
            Records("call.start"),
            Some(&cat),
        ),
        case(
            g.clone(),
            "/api/v1/calls",
            "/api/v1/calls",
            &ben,
            None,
            Exempt("lists the caller's own live calls (ids and times), each of them audited"),
            None,
        ),
        case(
            g.clone(),
            "/api/v1/calls/{id}",
            format!("/api/v1/calls/{call}"),
            &ben,
            None,
            Exempt("the state of a call the caller is in; its every step is audited"),
            None,
        ),
        case(
            p.clone(),
            "/api/v1/calls/{id}/join",
            format!("/api/v1/calls/{call}/join"),
            &ben,
            None,
            Records("call.join"),
            Some(&cat),
        ),
        case(
            p.clone(),
            "/api/v1/calls/{id}/leave",
            format!("/api/v1/calls/{call}/leave"),
            &ben,
            None,
            Records("call.leave"),
            Some(&cat),
        ),
        case(
            p.clone(),
            "/api/v1/calls/{id}/decline",
            format!("/api/v1/calls/{rung}/decline"),
            &ben,
            None,
            Records("call.decline"),
            Some(&cat),
        ),
    ]
}
