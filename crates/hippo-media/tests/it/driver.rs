//! The UDP driver on real loopback sockets: its channel API, and a call of
//! two str0m clients through it (the core's behaviour is tested without
//! sockets in `calls.rs`; this checks the wiring and the real clock).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hippo_media::{Event as SfuEvent, MediaError, ParticipantId, RoomId, spawn_udp};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::{Direction, MediaKind, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Input, Output, Rtc};
use tokio::net::UdpSocket;

use crate::harness::{client_rtc, offer_audio_video, publisher_of, write_frames};

#[tokio::test]
async fn the_driver_answers_refuses_and_removes_over_its_channel() {
    let bind = "127.0.0.1:0".parse().unwrap();
    let (sfu, _events) = spawn_udp(bind, bind).await.unwrap();
    let port = sfu.local_addr().port();
    assert_ne!(port, 0);
    assert_eq!(
        sfu.public_addr(),
        sfu.local_addr(),
        "port 0 means the bound port"
    );

    let room = RoomId::from("r");
    let p = ParticipantId::from("p");
    let refused = sfu
        .add_participant(room.clone(), p.clone(), "garbage".into())
        .await;
    assert_eq!(refused, Err(MediaError::BadSdp));

    let mut rtc = client_rtc(Instant::now());
    let mut change = rtc.sdp_api();
    change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
    let offer = change.apply().unwrap().0.to_sdp_string();
    let answer = sfu
        .add_participant(room.clone(), p.clone(), offer)
        .await
        .unwrap();
    assert!(
        answer.contains(&format!("127.0.0.1 {port} typ host")),
        "its candidate"
    );

    sfu.remove_participant(room.clone(), p.clone())
        .await
        .unwrap();
    assert_eq!(
        sfu.remove_participant(room, p).await,
        Err(MediaError::UnknownParticipant)
    );
}

struct Peer {
    id: ParticipantId,
    rtc: Rtc,
    socket: UdpSocket,
    addr: SocketAddr,
    mids: (Mid, Mid),
    next_timeout: Instant,
    sent: u32,
    received_video: usize,
}

impl Peer {
    /// Sends what the peer has to send, takes what arrived; never blocks.
    fn pump(&mut self) {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = self.socket.try_recv_from(&mut buf) {
            let receive = Receive::new(Protocol::Udp, from, self.addr, &buf[..n]).unwrap();
            self.rtc
                .handle_input(Input::Receive(Instant::now(), receive))
                .unwrap();
        }
        let now = Instant::now();
        if self.next_timeout <= now {
            self.rtc.handle_input(Input::Timeout(now)).unwrap();
        }
        loop {
            match self.rtc.poll_output().unwrap() {
                Output::Timeout(at) => {
                    self.next_timeout = at;
                    return;
                }
                Output::Transmit(t) => {
                    let _ = self.socket.try_send_to(&t.contents, t.destination);
                }
                Output::Event(e) => {
                    if publisher_of(&e, MediaKind::Video).is_some() {
                        self.received_video += 1;
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn two_clients_call_each_other_through_the_udp_driver() {
    let bind: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let (sfu, mut events) = spawn_udp(bind, bind).await.unwrap();
    let room = RoomId::from("r");
    let mut peers = Vec::new();
    for name in ["alice", "bob"] {
        let socket = UdpSocket::bind(bind).await.unwrap();
        let addr = socket.local_addr().unwrap();
        let mut rtc = client_rtc(Instant::now());
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap())
            .unwrap();
        let (offer, pending, mids) = offer_audio_video(&mut rtc);
        let id = ParticipantId::from(name);
        let answer = sfu
            .add_participant(room.clone(), id.clone(), offer)
            .await
            .unwrap();
        let answer = SdpAnswer::from_sdp_string(&answer).unwrap();
        rtc.sdp_api().accept_answer(pending, answer).unwrap();
        peers.push(Peer {
            id,
            rtc,
            socket,
            addr,
            mids,
            next_timeout: Instant::now(),
            sent: 0,
            received_video: 0,
        });
    }

    let deadline = Instant::now() + Duration::from_secs(20);
    let mut next_frame = Instant::now();
    while peers.iter().any(|p| p.received_video < 10) {
        assert!(
            Instant::now() < deadline,
            "no video both ways through the driver"
        );
        while let Ok(event) = events.try_recv() {
            if let SfuEvent::Offer {
                participant, sdp, ..
            } = event
            {
                let peer = peers.iter_mut().find(|p| p.id == participant).unwrap();
                let offer = SdpOffer::from_sdp_string(&sdp).unwrap();
                let answer = peer.rtc.sdp_api().accept_offer(offer).unwrap();
                sfu.apply_answer(room.clone(), participant, answer.to_sdp_string())
                    .await
                    .unwrap();
            }
        }
        let now = Instant::now();
        if now >= next_frame {
            for (i, p) in peers.iter_mut().enumerate() {
                if p.rtc.is_connected() {
                    p.sent += 1;
                    write_frames(&mut p.rtc, p.mids, i as u8, p.sent, now);
                }
            }
            next_frame = now + Duration::from_millis(20);
        }
        for p in &mut peers {
            p.pump();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
