//! Calls through the SFU: connecting, forwarding between every pair, keyframe
//! requests for a late joiner, and participants leaving or going silent.

use std::time::Duration;

use hippo_media::{Event as SfuEvent, LeaveReason, ParticipantId, Sfu};
use str0m::Event;
use str0m::media::{KeyframeRequestKind, MediaKind};

use crate::harness::{Call, publisher_of};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn a_client_connects_over_ice_and_dtls() {
    let mut call = Call::new();
    let a = call.join("alice");
    call.run(secs(2), false);

    assert!(
        call.clients[a].rtc.is_connected(),
        "the client's side is up"
    );
    assert!(
        call.sfu
            .is_connected(&call.room, &ParticipantId::from("alice"))
    );
    assert!(call.sfu_events.contains(&SfuEvent::Connected {
        room: call.room.clone(),
        participant: ParticipantId::from("alice"),
    }));
}

#[test]
fn media_from_each_publisher_reaches_both_other_participants() {
    let mut call = Call::new();
    let a = call.join("alice");
    let b = call.join("bob");
    let c = call.join("carol");
    call.run_until_all_flowing(secs(5));
    call.run(secs(1), true);

    for (to, from) in [(b, a), (c, a), (a, b), (c, b), (a, c), (b, c)] {
        for kind in [MediaKind::Audio, MediaKind::Video] {
            let n = call.received(to, from, kind);
            // One second is 50 frames; allow for the connection's start.
            assert!(n >= 40, "{to} got {n} {kind:?} frames from {from}");
        }
    }
    for own in [a, b, c] {
        assert_eq!(call.received(own, own, MediaKind::Video), 0, "no echo");
    }
    // Each offer names the publisher of the tracks it adds as their stream.
    let offers_to_carol: String = call
        .sfu_events
        .iter()
        .filter_map(|e| match e {
            SfuEvent::Offer {
                participant, sdp, ..
            } if participant.0 == "carol" => Some(sdp.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        offers_to_carol.contains("a=msid:alice "),
        "alice's stream id"
    );
    assert!(offers_to_carol.contains("a=msid:bob "), "bob's stream id");
}

#[test]
fn a_late_joiner_gets_a_keyframe_from_each_publisher() {
    let mut call = Call::new();
    let a = call.join("alice");
    let b = call.join("bob");
    call.run_until_all_flowing(secs(5));
    call.run(secs(2), true);
    call.clear_events();
    call.run(secs(2), true);
    assert_eq!(call.keyframe_requests(a), 0, "none asked in a steady call");
    assert_eq!(call.keyframe_requests(b), 0, "none asked in a steady call");

    let c = call.join("carol");
    call.run_until_all_flowing(secs(5));

    assert!(
        call.keyframe_requests(a) >= 1,
        "alice is asked for a keyframe"
    );
    assert!(
        call.keyframe_requests(b) >= 1,
        "bob is asked for a keyframe"
    );
    // (Carol is asked too: Alice and Bob are new subscribers of hers.)
    assert!(
        call.keyframe_requests(c) >= 1,
        "carol is asked for a keyframe"
    );
}

#[test]
fn a_subscribers_keyframe_request_reaches_the_publisher() {
    let mut call = Call::new();
    let a = call.join("alice");
    let b = call.join("bob");
    call.run_until_all_flowing(secs(5));
    call.run(secs(2), true);
    call.clear_events();
    call.run(secs(1), true);
    assert_eq!(call.keyframe_requests(a), 0, "none asked in a steady call");

    // Bob's decoder lost Alice's picture: it asks on the track it receives.
    let mid = call.clients[b]
        .events
        .iter()
        .find_map(|e| match e {
            Event::MediaData(d) if publisher_of(e, MediaKind::Video) == Some(a as u8) => {
                Some(d.mid)
            }
            _ => None,
        })
        .unwrap();
    let mut writer = call.clients[b].rtc.writer(mid).unwrap();
    writer
        .request_keyframe(None, KeyframeRequestKind::Pli)
        .unwrap();
    call.run(Duration::from_millis(200), true);

    assert_eq!(call.keyframe_requests(a), 1, "alice is asked, once");
    assert_eq!(call.keyframe_requests(b), 0, "bob asked; he is not asked");
}

#[test]
fn a_participant_leaving_leaves_the_others_flowing() {
    let mut call = Call::new();
    let a = call.join("alice");
    let b = call.join("bob");
    let c = call.join("carol");
    call.run_until_all_flowing(secs(5));

    call.leave(b);
    call.clear_events();
    call.run(secs(2), true);

    for (to, from) in [(a, c), (c, a)] {
        for kind in [MediaKind::Audio, MediaKind::Video] {
            let n = call.received(to, from, kind);
            assert!(n >= 80, "{to} got {n} {kind:?} frames from {from}");
        }
    }
    // Alice and Carol are each offered the removal of Bob's two tracks.
    for who in ["alice", "carol"] {
        let stop = call.sfu_events.iter().any(|e| {
            matches!(e, SfuEvent::Offer { participant, sdp, .. }
                if participant.0 == who && sdp.contains("m=video 0 "))
        });
        assert!(stop, "{who} is offered bob's video stopped");
    }
    // The server removed Bob: the SFU reports no leave of its own.
    assert!(
        !call
            .sfu_events
            .iter()
            .any(|e| matches!(e, SfuEvent::Left { .. }))
    );
    assert_eq!(
        call.sfu.participants(&call.room),
        vec![ParticipantId::from("alice"), ParticipantId::from("carol")]
    );
}

#[test]
fn a_silent_participant_is_dropped_and_the_others_keep_flowing() {
    let mut call = Call::new();
    let a = call.join("alice");
    let b = call.join("bob");
    let c = call.join("carol");
    call.run_until_all_flowing(secs(5));

    call.clients[c].online = false;
    call.run(Sfu::DISCONNECT_GRACE + secs(20), true);

    let left = call.sfu_events.iter().find_map(|e| match e {
        SfuEvent::Left {
            participant,
            reason,
            ..
        } => Some((participant.0.clone(), *reason)),
        _ => None,
    });
    assert_eq!(left, Some(("carol".into(), LeaveReason::Disconnected)));

    call.clear_events();
    call.run(secs(2), true);
    for (to, from) in [(a, b), (b, a)] {
        let n = call.received(to, from, MediaKind::Video);
        assert!(n >= 80, "{to} got {n} video frames from {from}");
    }
}

#[test]
fn a_participant_that_never_connects_is_dropped() {
    let mut call = Call::new();
    let a = call.join("alice");
    call.clients[a].online = false;
    call.run(Sfu::CONNECT_TIMEOUT + secs(1), false);

    assert!(
        call.sfu_events.contains(&SfuEvent::Left {
            room: call.room.clone(),
            participant: ParticipantId::from("alice"),
            reason: LeaveReason::ConnectTimeout,
        }),
        "{:?}",
        call.sfu_events
    );
    assert!(call.sfu.participants(&call.room).is_empty());
}
