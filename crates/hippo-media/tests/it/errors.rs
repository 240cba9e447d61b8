//! What the SFU refuses: bad SDP, answers it did not ask for, unknown
//! participants, and datagrams that are not WebRTC or belong to nobody —
//! always an error, never a panic, and never a disturbance to a live call.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hippo_media::{MediaError, ParticipantId, RoomId, Sfu};
use str0m::media::{Direction, MediaKind};

use crate::harness::{Call, SFU_ADDR, client_rtc};

fn browser_offer(now: Instant) -> String {
    let mut rtc = client_rtc(now);
    let addr: SocketAddr = "10.0.9.9:5000".parse().unwrap();
    rtc.add_local_candidate(str0m::Candidate::host(addr, "udp").unwrap())
        .unwrap();
    let mut change = rtc.sdp_api();
    change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
    change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
    change.apply().unwrap().0.to_sdp_string()
}

#[test]
fn bad_offers_are_refused_and_join_nobody() {
    let now = Instant::now();
    let mut sfu = Sfu::new(SFU_ADDR);
    let room = RoomId::from("r");
    let offer = browser_offer(now);
    let truncated = &offer[..offer.len() / 2];
    let no_fingerprint: String = offer
        .lines()
        .filter(|l| !l.starts_with("a=fingerprint"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    for bad in ["", "garbage", "v=0\r\n", truncated, no_fingerprint.as_str()] {
        let result = sfu.add_participant(room.clone(), ParticipantId::from("p"), bad, now);
        assert!(
            matches!(result, Err(MediaError::BadSdp | MediaError::Refused(_))),
            "{bad:?} gave {result:?}"
        );
    }
    assert!(sfu.participants(&room).is_empty());

    // The good one still joins, once.
    let answer = sfu.add_participant(room.clone(), ParticipantId::from("p"), &offer, now);
    assert!(answer.is_ok_and(|a| a.contains("a=ice-lite")));
    let again = sfu.add_participant(room.clone(), ParticipantId::from("p"), &offer, now);
    assert_eq!(again, Err(MediaError::AlreadyJoined));
}

#[test]
fn an_unknown_public_address_is_refused() {
    let now = Instant::now();
    let mut sfu = Sfu::new("0.0.0.0:3478".parse().unwrap());
    let result = sfu.add_participant(
        RoomId::from("r"),
        ParticipantId::from("p"),
        &browser_offer(now),
        now,
    );
    assert!(matches!(result, Err(MediaError::Address(_))), "{result:?}");
}

#[test]
fn answers_and_removals_need_a_reason() {
    let now = Instant::now();
    let mut sfu = Sfu::new(SFU_ADDR);
    let room = RoomId::from("r");
    let p = ParticipantId::from("p");
    assert_eq!(
        sfu.apply_answer(&room, &p, "v=0\r\n"),
        Err(MediaError::UnknownParticipant)
    );
    assert_eq!(
        sfu.remove_participant(&room, &p),
        Err(MediaError::UnknownParticipant)
    );
    sfu.add_participant(room.clone(), p.clone(), &browser_offer(now), now)
        .unwrap();
    assert_eq!(
        sfu.apply_answer(&room, &p, "garbage"),
        Err(MediaError::BadSdp)
    );
    assert_eq!(
        sfu.apply_answer(&room, &p, &browser_offer(now)),
        Err(MediaError::NoPendingOffer),
        "an SDP that parses, with no offer out"
    );
    sfu.remove_participant(&room, &p).unwrap();
    assert_eq!(
        sfu.remove_participant(&room, &p),
        Err(MediaError::UnknownParticipant)
    );
}

#[test]
fn a_bad_answer_to_an_offer_is_refused_and_the_offer_made_again() {
    let mut call = Call::new();
    call.auto_answer = false;
    call.join("alice");
    call.join("bob");
    call.run(Duration::from_secs(2), true);
    let (who, offer) = call.held_offers.remove(0);
    let garbage = call.sfu.apply_answer(&call.room, &who, "nonsense");
    assert_eq!(garbage, Err(MediaError::BadSdp), "the offer stays pending");
    call.auto_answer = true;
    call.answer(who, &offer);
    for (who, offer) in std::mem::take(&mut call.held_offers) {
        call.answer(who, &offer);
    }
    call.run_until_all_flowing(Duration::from_secs(5));
}

#[test]
fn garbage_datagrams_are_refused_and_the_call_goes_on() {
    let mut call = Call::new();
    let a = call.join("alice");
    let b = call.join("bob");
    call.run_until_all_flowing(Duration::from_secs(5));

    let now = call.now;
    let stranger: SocketAddr = "192.0.2.7:4000".parse().unwrap();
    assert_eq!(
        call.sfu.handle_input(stranger, SFU_ADDR, b"hello", now),
        Err(MediaError::NotWebRtc)
    );
    assert_eq!(
        call.sfu.handle_input(stranger, SFU_ADDR, &[], now),
        Err(MediaError::NotWebRtc)
    );
    // RTP-shaped, from nobody in the room.
    let rtp = [0x80u8, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 9, 9, 9, 9];
    assert_eq!(
        call.sfu.handle_input(stranger, SFU_ADDR, &rtp, now),
        Err(MediaError::Unroutable)
    );

    // Every first byte and many lengths, from a participant's own address
    // and from a stranger's; a fixed pseudo-random sequence.
    let from_alice = call.clients[a].addr;
    let mut seed = 0x2545_f491_u32;
    for first in 0..=255u8 {
        for len in [1usize, 4, 12, 20, 28, 60, 200, 1200] {
            let mut bytes = vec![first; len];
            for byte in bytes.iter_mut().skip(1) {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                *byte = seed as u8;
            }
            for from in [from_alice, stranger] {
                let _ = call.sfu.handle_input(from, SFU_ADDR, &bytes, now);
            }
        }
    }

    call.clear_events();
    call.run(Duration::from_secs(2), true);
    for (to, from) in [(a, b), (b, a)] {
        for kind in [MediaKind::Audio, MediaKind::Video] {
            let n = call.received(to, from, kind);
            assert!(n >= 80, "{to} got {n} {kind:?} frames from {from}");
        }
    }
}
