//! Calls over the real HTTP stack and real sockets: ringing on every
//! session, answered elsewhere, signals relayed only between the joined
//! sessions, hang-up, decline, no answer, glare, deactivation, TURN
//! credentials, and the audit record of every step.

use crate::support::{TestServer, Ws, assert_problem, frame_of};
use futures_util::SinkExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const OFFER: &str =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";

async fn send_frame(ws: &mut Ws, frame: &Value) {
    ws.send(Message::Text(frame.to_string().into()))
        .await
        .unwrap();
}

/// A socket and its session id.
async fn socket(s: &TestServer, token: &str) -> (Ws, String) {
    let mut ws = s.ws(Some(token)).await;
    let ready = frame_of(&mut ws, "ready").await;
    (ws, ready["session_id"].as_str().unwrap().to_owned())
}

async fn actions(s: &TestServer, call: &str) -> Vec<(String, String)> {
    s.audit()
        .await
        .iter()
        .filter(|r| r.resource_id.as_deref() == Some(call))
        .map(|r| (r.action.as_str().to_owned(), r.outcome.as_str().to_owned()))
        .collect()
}

#[tokio::test]
async fn a_call_rings_every_session_is_answered_once_relays_signals_and_ends_on_hang_up() {
    let s = TestServer::start().await;
    let [ana, ben, cat] = s.clinicians(["ana", "ben", "cat"]).await;
    let conv = s.direct(&ana, &ben).await;
    let (mut ana_ws, ana_session) = socket(&s, &ana.token).await;
    let (mut ben_phone, ben_phone_session) = socket(&s, &ben.token).await;
    let ben_desk_token = s.second_session(&ben).await;
    let (mut ben_desk, _) = socket(&s, &ben_desk_token).await;

    let (status, call) = s
        .post(
            &format!("/api/v1/conversations/{conv}/calls"),
            Some(&ana.token),
            json!({"media": "video"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{call}");
    let id = call["id"].as_str().unwrap().to_owned();
    assert_eq!(call["state"], "ringing");
    assert_eq!(call["topology"], "p2p");
    assert_eq!(call["relay_only"], false);
    // Both of Ben's sessions ring.
    for ws in [&mut ben_phone, &mut ben_desk] {
        let ring = frame_of(ws, "call.ringing").await;
        assert_eq!(ring["call"]["id"], json!(id));
        assert_eq!(ring["call"]["media"], "video");
    }
    // Ben answers on his phone (its token is the phone socket's session):
    // the desk hears it was answered elsewhere and stops ringing.
    let (status, joined) = s
        .post(
            &format!("/api/v1/calls/{id}/join"),
            Some(&ben.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    assert_eq!(joined["state"], "active");
    let me = loop {
        let update = frame_of(&mut ben_desk, "call.updated").await;
        let me = update["call"]["participants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["user_id"] == json!(ben.id))
            .unwrap()
            .clone();
        if me["state"] != "ringing" {
            break me;
        }
    };
    assert_eq!(me["state"], "joined");
    assert_eq!(me["session_id"], json!(ben_phone_session));
    let (status, body) = s
        .post(
            &format!("/api/v1/calls/{id}/join"),
            Some(&ben_desk_token),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 409, "conflict");
    while frame_of(&mut ana_ws, "call.updated").await["call"]["state"] != "active" {}

    // Ana offers to the phone; the phone gets it from her session.
    send_frame(
        &mut ana_ws,
        &json!({"type": "call.signal", "call_id": id, "to_session": ben_phone_session,
                "sdp": {"type": "offer", "sdp": OFFER}}),
    )
    .await;
    let offer = frame_of(&mut ben_phone, "call.signal").await;
    assert_eq!(offer["from_session"], json!(ana_session));
    assert_eq!(offer["sdp"]["type"], "offer");
    assert_eq!(offer["sdp"]["sdp"], OFFER);
    send_frame(
        &mut ben_phone,
        &json!({"type": "call.signal", "call_id": id, "to_session": ana_session,
                "candidate": {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
                              "sdpMid": "0", "sdpMLineIndex": 0}}),
    )
    .await;
    let cand = frame_of(&mut ana_ws, "call.signal").await;
    assert_eq!(cand["candidate"]["sdpMid"], "0");
    assert_eq!(cand["from_session"], json!(ben_phone_session));

    // Refusals, each an error frame, the socket open.
    let bad: Vec<(Value, &str)> = vec![
        // The desk is not joined.
        (
            json!({"type": "call.signal", "call_id": id, "to_session": ana_session,
                "sdp": {"type": "answer", "sdp": OFFER}}),
            "conflict",
        ),
        // Not an SDP.
        (
            json!({"type": "call.signal", "call_id": id, "to_session": ana_session,
                "sdp": {"type": "answer", "sdp": "hello"}}),
            "validation_failed",
        ),
        // Both at once.
        (
            json!({"type": "call.signal", "call_id": id, "to_session": ana_session,
                "sdp": {"type": "answer", "sdp": OFFER}, "candidate": {"candidate": ""}}),
            "validation_failed",
        ),
    ];
    for (frame, code) in bad {
        send_frame(&mut ben_desk, &frame).await;
        let err = frame_of(&mut ben_desk, "error").await;
        assert_eq!(err["code"], code, "{frame}: {err}");
    }
    // The phone signalling a session not in the call.
    send_frame(
        &mut ben_phone,
        &json!({"type": "call.signal", "call_id": id, "to_session": uuid(),
                "candidate": {"candidate": ""}}),
    )
    .await;
    assert_eq!(frame_of(&mut ben_phone, "error").await["code"], "forbidden");
    // Cat is not in the call: it does not exist for her, and that is
    // recorded.
    let (mut cat_ws, _) = socket(&s, &cat.token).await;
    send_frame(
        &mut cat_ws,
        &json!({"type": "call.signal", "call_id": id, "to_session": ana_session,
                "candidate": {"candidate": ""}}),
    )
    .await;
    assert_eq!(frame_of(&mut cat_ws, "error").await["code"], "not_found");
    let (status, body) = s.get(&format!("/api/v1/calls/{id}"), &cat.token).await;
    assert_problem(status, &body, 404, "not_found");
    let (status, body) = s
        .post(
            &format!("/api/v1/calls/{id}/join"),
            Some(&cat.token),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 404, "not_found");

    // A minute later Ana hangs up: it ends for everyone.
    s.clock.advance(Duration::from_secs(60));
    let (status, ended) = s
        .post(
            &format!("/api/v1/calls/{id}/leave"),
            Some(&ana.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert_eq!(ended["state"], "ended");
    assert_eq!(ended["end_reason"], "hangup");
    assert_eq!(ended["duration_ms"], 60_000);
    for ws in [&mut ben_phone, &mut ben_desk] {
        assert_eq!(
            frame_of(ws, "call.ended").await["call"]["end_reason"],
            "hangup"
        );
    }
    let (status, body) = s
        .post(
            &format!("/api/v1/calls/{id}/join"),
            Some(&ben.token),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 409, "conflict");
    assert!(body["detail"].as_str().unwrap().contains("ended"), "{body}");

    let trail = actions(&s, &id).await;
    let ok = |a: &str| {
        trail
            .iter()
            .filter(|(x, o)| x == a && o == "success")
            .count()
    };
    assert_eq!(
        (
            ok("call.start"),
            ok("call.join"),
            ok("call.leave"),
            ok("call.end")
        ),
        (1, 1, 1, 1),
        "{trail:?}"
    );
    assert!(
        trail.iter().filter(|(_, o)| o == "denied").count() >= 3,
        "{trail:?}"
    );
    let end = s
        .audit()
        .await
        .into_iter()
        .find(|r| r.action.as_str() == "call.end")
        .unwrap();
    let detail = end.detail.clone();
    assert!(detail.contains("\"duration_ms\":60000"), "{detail}");
    // Never SDP or candidates in the trail.
    let all = serde_json::to_string(
        &s.audit()
            .await
            .iter()
            .map(|r| r.detail.clone())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(
        !all.contains("IN IP4") && !all.contains("candidate:"),
        "{all}"
    );
    s.stop().await;
}

fn uuid() -> String {
    hippo_core::SessionId::generate().to_string()
}

#[tokio::test]
async fn declined_unanswered_glare_groups_and_deactivation() {
    let s = TestServer::start().await;
    let [ana, ben, cat] = s.clinicians(["ana", "ben", "cat"]).await;
    let admin = s.admin().await;
    let conv = s.direct(&ana, &ben).await;
    let start = |token: String| {
        let s = &s;
        let path = format!("/api/v1/conversations/{conv}/calls");
        async move { s.post(&path, Some(&token), json!({"media": "audio"})).await }
    };

    // Declined: the two-party call ends.
    let (_, call) = start(ana.token.clone()).await;
    let id = call["id"].as_str().unwrap().to_owned();
    let (status, declined) = s
        .post(
            &format!("/api/v1/calls/{id}/decline"),
            Some(&ben.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{declined}");
    assert_eq!(declined["end_reason"], "declined");
    assert!(
        actions(&s, &id)
            .await
            .contains(&("call.decline".into(), "success".into()))
    );

    // Nobody answers for 45 s: missed, by the server's own timer.
    let (_, call) = start(ana.token.clone()).await;
    let id = call["id"].as_str().unwrap().to_owned();
    let (_, live) = s.get("/api/v1/calls", &ben.token).await;
    assert_eq!(live["calls"][0]["id"], json!(id), "{live}");
    s.clock.advance(Duration::from_secs(44));
    assert_eq!(s.hippo.calls().expire_unanswered().await.unwrap(), 0);
    s.clock.advance(Duration::from_secs(1));
    assert_eq!(s.hippo.calls().expire_unanswered().await.unwrap(), 1);
    let (_, missed) = s.get(&format!("/api/v1/calls/{id}"), &ana.token).await;
    assert_eq!(missed["end_reason"], "missed");
    let (_, live) = s.get("/api/v1/calls", &ben.token).await;
    assert_eq!(live["calls"], json!([]));

    // Glare: both call at once and end up in one call.
    let (a, b) = tokio::join!(start(ana.token.clone()), start(ben.token.clone()));
    let mut statuses = [a.0.as_u16(), b.0.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 201], "{} {}", a.1, b.1);
    assert_eq!(a.1["id"], b.1["id"]);
    let (_, both) = s
        .get(
            &format!("/api/v1/calls/{}", a.1["id"].as_str().unwrap()),
            &ana.token,
        )
        .await;
    assert_eq!(both["state"], "active", "{both}");

    // An answered call keeps both sessions signed in past the idle
    // timeout (15 min): 20 minutes of consult, the timer ticking.
    for _ in 0..20 {
        s.clock.advance(Duration::from_secs(60));
        s.hippo.calls().tick().await.unwrap();
    }
    let (status, _) = s.get("/api/v1/me", &ana.token).await;
    assert_eq!(status, StatusCode::OK, "in a call, not idle");
    let (status, _) = s.get("/api/v1/me", &cat.token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "not in a call: idled out");

    let glare = a.1["id"].as_str().unwrap();
    let (status, _) = s
        .post(
            &format!("/api/v1/calls/{glare}/leave"),
            Some(&ana.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Signing out of the session in a call hangs it up (within the 1 s
    // timer's tick).
    let (_, call) = start(ana.token.clone()).await;
    let id = call["id"].as_str().unwrap().to_owned();
    let ben_now = s.second_session(&ben).await;
    let (status, _) = s
        .post(
            &format!("/api/v1/calls/{id}/join"),
            Some(&ben_now),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s
        .post("/api/v1/auth/logout", Some(&ben_now), json!({}))
        .await;
    assert!(status.is_success());
    s.hippo.calls().tick().await.unwrap();
    let (_, gone) = s.get(&format!("/api/v1/calls/{id}"), &ana.token).await;
    assert_eq!(gone["end_reason"], "hangup", "{gone}");
    assert!(
        actions(&s, &id)
            .await
            .contains(&("call.leave".into(), "success".into()))
    );
    let (_, call) = start(ana.token.clone()).await;
    let id = call["id"].as_str().unwrap().to_owned();
    let ben_now = s.second_session(&ben).await;
    s.post(
        &format!("/api/v1/calls/{id}/join"),
        Some(&ben_now),
        json!({}),
    )
    .await;

    // Deactivating Ben drops him at once; Ana hears the call ended.
    let (mut ana_ws, _) = socket(&s, &ana.token).await;
    let admin_now = s.second_session(&admin).await;
    let cat_now = s.second_session(&cat).await;
    let (status, _) = s
        .post(
            &format!("/api/v1/users/{}/deactivate", ben.id),
            Some(&admin_now),
            json!({}),
        )
        .await;
    assert!(status.is_success(), "{status}");
    let ended = frame_of(&mut ana_ws, "call.ended").await;
    assert_eq!(ended["call"]["end_reason"], "deactivated");

    // Removed from the conversation while rung: out of the call too.
    let pair = s.group(&ana, [&cat], "pair").await;
    let (_, call) = s
        .post(
            &format!("/api/v1/conversations/{pair}/calls"),
            Some(&ana.token),
            json!({"media": "audio"}),
        )
        .await;
    let id = call["id"].as_str().unwrap().to_owned();
    let (status, _) = s
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/conversations/{pair}/members/{}", cat.id),
            Some(&ana.token),
            None,
        )
        .await;
    assert!(status.is_success(), "{status}");
    let (status, body) = s
        .post(
            &format!("/api/v1/calls/{id}/join"),
            Some(&cat_now),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 404, "not_found");

    // Groups need the SFU; strangers cannot call; bad media is refused.
    let dan = s.clinician("dan").await;
    let group = s.group(&ana, [&cat, &dan], "ward").await;
    let (status, body) = s
        .post(
            &format!("/api/v1/conversations/{group}/calls"),
            Some(&ana.token),
            json!({"media": "video"}),
        )
        .await;
    assert_problem(status, &body, 503, "unavailable");
    let (status, body) = s
        .post(
            &format!("/api/v1/conversations/{conv}/calls"),
            Some(&cat_now),
            json!({"media": "video"}),
        )
        .await;
    assert_problem(status, &body, 404, "not_found");
    let (status, body) = s
        .post(
            &format!("/api/v1/conversations/{group}/calls"),
            Some(&ana.token),
            json!({"media": "hologram"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    s.stop().await;
}

#[tokio::test]
async fn ice_servers_hand_out_turn_credentials_that_expire_and_name_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("turn.secret");
    std::fs::write(&secret, "north-wind-secret\n").unwrap();
    let secret_path = secret.display().to_string();
    let s = TestServer::start_with(|a| {
        a.turn_urls = Some("stun:127.0.0.1:3478,turn:127.0.0.1:3478?transport=udp".into());
        a.turn_secret_file = Some(secret_path);
        a.calls_relay_only = Some("true".into());
    })
    .await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let (status, ice) = s.get("/api/v1/calls/ice-servers", &ana.token).await;
    assert_eq!(status, StatusCode::OK, "{ice}");
    let servers = ice["ice_servers"].as_array().unwrap();
    assert_eq!(servers.len(), 2, "{ice}");
    assert_eq!(servers[0]["urls"], json!(["stun:127.0.0.1:3478"]));
    assert!(servers[0].get("username").is_none());
    let turn = &servers[1];
    let username = turn["username"].as_str().unwrap();
    let (expiry, opaque) = username.split_once(':').unwrap();
    let now = hippo_core::Clock::now(&s.clock).as_millis() / 1000;
    assert_eq!(expiry.parse::<i64>().unwrap(), now + 600);
    assert!(
        !username.contains("ana") && !username.contains(&ana.id),
        "{username}"
    );
    assert_eq!(opaque.len(), 24);
    assert_eq!(
        turn["credential"],
        json!(hippo_crypto::turn::turn_password(b"north-wind-secret", username).as_str())
    );
    // Another request, another id.
    let (_, again) = s
        .get("/api/v1/calls/ice-servers?ttl_seconds=1", &ana.token)
        .await;
    assert_ne!(again["ice_servers"][1]["username"], turn["username"]);
    assert!(
        again["ice_servers"][1]["username"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}:", now + 1))
    );
    for bad in ["0", "601"] {
        let (status, body) = s
            .get(
                &format!("/api/v1/calls/ice-servers?ttl_seconds={bad}"),
                &ana.token,
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
    }
    // Relay only on this server: every call says so.
    let conv = s.direct(&ana, &ben).await;
    let (_, call) = s
        .post(
            &format!("/api/v1/conversations/{conv}/calls"),
            Some(&ana.token),
            json!({"media": "video"}),
        )
        .await;
    assert_eq!(call["relay_only"], true, "{call}");
    // Auditors have no calls.
    let auditor = s.auditor().await;
    let (status, body) = s.get("/api/v1/calls/ice-servers", &auditor.token).await;
    assert_problem(status, &body, 403, "forbidden");
    s.stop().await;

    // Without settings: no ICE servers, and a TURN URL without its secret
    // is refused at start.
    let s = TestServer::start().await;
    let ana = s.clinician("ana").await;
    let (_, ice) = s.get("/api/v1/calls/ice-servers", &ana.token).await;
    assert_eq!(ice["ice_servers"], json!([]));
    s.stop().await;
}

/// A client hammering join and leave (a hundred at once) gets answers in
/// the contract's codes, never a 5xx, and leaves no call stuck: it ends,
/// and the next call starts.
#[tokio::test]
async fn a_storm_of_joins_and_leaves_leaves_no_call_stuck() {
    let s = TestServer::start().await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let conv = s.direct(&ana, &ben).await;
    let path = format!("/api/v1/conversations/{conv}/calls");
    let (_, call) = s
        .post(&path, Some(&ana.token), json!({"media": "audio"}))
        .await;
    let id = call["id"].as_str().unwrap().to_owned();
    let storm = (0..100).map(|i| {
        let (s, id, token) = (&s, &id, &ben.token);
        async move {
            let step = if i % 2 == 0 { "join" } else { "leave" };
            s.post(
                &format!("/api/v1/calls/{id}/{step}"),
                Some(token),
                json!({}),
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(storm).await;
    for (status, body) in &answers {
        assert!([200, 409].contains(&status.as_u16()), "{status}: {body}");
    }
    let (_, after) = s.get(&format!("/api/v1/calls/{id}"), &ana.token).await;
    assert_eq!(after["state"], "ended", "{after}");
    let (status, next) = s
        .post(&path, Some(&ana.token), json!({"media": "audio"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{next}");
    s.stop().await;
}
