//! An in-memory call: str0m client peers (as a browser would be), the SFU,
//! and a network that delivers every datagram at once, all on a simulated
//! clock. No sockets. The harness plays hippo-service too: it relays the
//! SFU's offers to the clients and their answers back (unless told to hold
//! them).

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hippo_media::{Event as SfuEvent, Output, ParticipantId, RoomId, Sfu};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output as RtcOutput, Rtc};

pub const SFU_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 3478);

/// The first byte of every test audio frame (then publisher index, sequence).
const AUDIO_MARK: u8 = 0xA0;
/// Video frames start like a VP8 key frame header (then publisher index).
const VIDEO_MARK: u8 = 0x10;

pub struct Client {
    pub id: ParticipantId,
    pub rtc: Rtc,
    pub addr: SocketAddr,
    pub audio: Mid,
    pub video: Mid,
    pub events: Vec<Event>,
    /// Off: its datagrams are lost, both ways (a dead network).
    pub online: bool,
    /// Left the call (or its peer failed): no longer driven.
    pub gone: bool,
    /// Why its peer failed, if it did.
    pub failed: Option<String>,
    next_timeout: Instant,
    sent: u32,
}

impl Client {
    fn fail(&mut self, error: str0m::RtcError) {
        self.failed = Some(error.to_string());
        self.gone = true;
    }
}

pub struct Call {
    pub now: Instant,
    pub sfu: Sfu,
    pub room: RoomId,
    pub clients: Vec<Client>,
    pub sfu_events: Vec<SfuEvent>,
    /// When false, the SFU's offers wait here instead of being answered.
    pub auto_answer: bool,
    pub held_offers: Vec<(ParticipantId, String)>,
    net: VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
    sfu_next: Instant,
}

impl Call {
    pub fn new() -> Self {
        let now = Instant::now();
        Self {
            now,
            sfu: Sfu::new(SFU_ADDR),
            room: RoomId::from("call-1"),
            clients: Vec::new(),
            sfu_events: Vec::new(),
            auto_answer: true,
            held_offers: Vec::new(),
            net: VecDeque::new(),
            sfu_next: now,
        }
    }

    /// A client offers its audio and video and joins; returns its index.
    pub fn join(&mut self, name: &str) -> usize {
        let index = self.clients.len();
        let addr = SocketAddr::new(Ipv4Addr::new(10, 0, 1, index as u8 + 1).into(), 5000);
        let mut rtc = client_rtc(self.now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap())
            .unwrap();
        let (offer, pending, (audio, video)) = offer_audio_video(&mut rtc);
        let id = ParticipantId::from(name);
        let answer = self
            .sfu
            .add_participant(self.room.clone(), id.clone(), &offer, self.now)
            .expect("the SFU answers a browser-like offer");
        let answer = SdpAnswer::from_sdp_string(&answer).unwrap();
        rtc.sdp_api().accept_answer(pending, answer).unwrap();
        self.clients.push(Client {
            id,
            rtc,
            addr,
            audio,
            video,
            events: Vec::new(),
            online: true,
            gone: false,
            failed: None,
            next_timeout: self.now,
            sent: 0,
        });
        index
    }

    /// The server removes a client from the room; its peer stops.
    pub fn leave(&mut self, index: usize) {
        let id = self.clients[index].id.clone();
        self.sfu.remove_participant(&self.room, &id).unwrap();
        self.clients[index].gone = true;
    }

    pub fn index_of(&self, id: &ParticipantId) -> usize {
        self.clients.iter().position(|c| &c.id == id).unwrap()
    }

    /// Runs the call for `duration`, each live client sending one audio and
    /// one video frame every 20 ms when `media` is on.
    pub fn run(&mut self, duration: Duration, media: bool) {
        let end = self.now + duration;
        let mut next_frame = self.now;
        while self.now < end {
            if media && self.now >= next_frame {
                for i in 0..self.clients.len() {
                    self.send_frames(i);
                }
                next_frame = self.now + Duration::from_millis(20);
            }
            self.settle();
            let mut next = self.sfu_next.min(end);
            if media {
                next = next.min(next_frame);
            }
            for c in self.clients.iter().filter(|c| !c.gone) {
                next = next.min(c.next_timeout);
            }
            // At least 1 ms a step (str0m may ask for "now" again), at most 10.
            let floor = self.now + Duration::from_millis(1);
            let ceiling = self.now + Duration::from_millis(10);
            self.now = next.clamp(floor, ceiling);
        }
    }

    /// Polls everything and delivers datagrams until the network is quiet.
    fn settle(&mut self) {
        for _ in 0..1000 {
            self.poll_sfu();
            for i in 0..self.clients.len() {
                self.poll_client(i);
            }
            if self.net.is_empty() {
                return;
            }
            while let Some((from, to, bytes)) = self.net.pop_front() {
                self.deliver(from, to, &bytes);
            }
        }
        panic!("the network never went quiet");
    }

    fn deliver(&mut self, from: SocketAddr, to: SocketAddr, bytes: &[u8]) {
        let online = |addr: SocketAddr| {
            self.clients
                .iter()
                .any(|c| c.addr == addr && c.online && !c.gone)
        };
        if to == SFU_ADDR {
            if online(from) {
                // A client's datagram the SFU refuses is fine here (e.g. a
                // late STUN after leaving); the tests check what flows.
                let _ = self.sfu.handle_input(from, to, bytes, self.now);
            }
            return;
        }
        let now = self.now;
        let Some(client) = self
            .clients
            .iter_mut()
            .find(|c| c.addr == to && c.online && !c.gone)
        else {
            return;
        };
        let receive = Receive::new(Protocol::Udp, from, to, bytes).unwrap();
        client
            .rtc
            .handle_input(Input::Receive(now, receive))
            .unwrap();
    }

    fn poll_sfu(&mut self) {
        loop {
            match self.sfu.poll_output(self.now) {
                Output::Transmit(to, bytes) => self.net.push_back((SFU_ADDR, to, bytes)),
                Output::Timeout(at) => {
                    self.sfu_next = at;
                    return;
                }
                Output::Event(event) => {
                    if let SfuEvent::Offer {
                        participant, sdp, ..
                    } = &event
                    {
                        if self.auto_answer {
                            self.answer(participant.clone(), sdp);
                        } else {
                            self.held_offers.push((participant.clone(), sdp.clone()));
                        }
                    }
                    self.sfu_events.push(event);
                }
            }
        }
    }

    /// Relays an SFU offer to its client and the client's answer back.
    pub fn answer(&mut self, participant: ParticipantId, offer: &str) {
        let i = self.index_of(&participant);
        let offer = SdpOffer::from_sdp_string(offer).unwrap();
        let answer = self.clients[i].rtc.sdp_api().accept_offer(offer).unwrap();
        self.sfu
            .apply_answer(&self.room, &participant, &answer.to_sdp_string())
            .expect("the SFU takes the answer to its offer");
    }

    fn poll_client(&mut self, i: usize) {
        let now = self.now;
        let client = &mut self.clients[i];
        if client.gone {
            return;
        }
        if client.next_timeout <= now
            && let Err(e) = client.rtc.handle_input(Input::Timeout(now))
        {
            client.fail(e);
            return;
        }
        loop {
            let output = match client.rtc.poll_output() {
                Ok(output) => output,
                Err(e) => {
                    client.fail(e);
                    return;
                }
            };
            match output {
                RtcOutput::Timeout(at) => {
                    client.next_timeout = at;
                    return;
                }
                RtcOutput::Transmit(t) => {
                    if client.online {
                        self.net
                            .push_back((t.source, t.destination, t.contents.to_vec()));
                    }
                }
                RtcOutput::Event(event) => client.events.push(event),
            }
        }
    }

    /// Client `i` writes one Opus and one VP8 frame (once connected).
    fn send_frames(&mut self, i: usize) {
        let now = self.now;
        let client = &mut self.clients[i];
        if client.gone || !client.online || !client.rtc.is_connected() {
            return;
        }
        client.sent += 1;
        write_frames(
            &mut client.rtc,
            (client.audio, client.video),
            i as u8,
            client.sent,
            now,
        );
    }

    /// How many frames of `kind` client `to` received from client `from`.
    pub fn received(&self, to: usize, from: usize, kind: MediaKind) -> usize {
        let from = from as u8;
        self.clients[to]
            .events
            .iter()
            .filter(|e| publisher_of(e, kind) == Some(from))
            .count()
    }

    /// Keyframe requests client `i` received for its own video.
    pub fn keyframe_requests(&self, i: usize) -> usize {
        let video = self.clients[i].video;
        self.clients[i]
            .events
            .iter()
            .filter(|e| matches!(e, Event::KeyframeRequest(r) if r.mid == video))
            .count()
    }

    pub fn clear_events(&mut self) {
        for c in &mut self.clients {
            c.events.clear();
        }
        self.sfu_events.clear();
    }

    /// Runs (with media) until every live client receives both kinds from
    /// every other, or panics after `limit`.
    pub fn run_until_all_flowing(&mut self, limit: Duration) {
        let end = self.now + limit;
        while self.now < end {
            self.run(Duration::from_millis(100), true);
            if self.all_flowing() {
                return;
            }
        }
        panic!("media did not flow between every pair within {limit:?}");
    }

    fn all_flowing(&self) -> bool {
        for c in &self.clients {
            assert!(c.failed.is_none(), "{}'s peer failed: {:?}", c.id, c.failed);
        }
        let live: Vec<usize> = (0..self.clients.len())
            .filter(|&i| !self.clients[i].gone && self.clients[i].online)
            .collect();
        live.iter().all(|&to| {
            live.iter().filter(|&&from| from != to).all(|&from| {
                self.received(to, from, MediaKind::Audio) > 0
                    && self.received(to, from, MediaKind::Video) > 0
            })
        })
    }
}

/// A client peer as a browser would be: full ICE, every default codec.
pub fn client_rtc(now: Instant) -> Rtc {
    Rtc::builder()
        .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
        .build(now)
}

/// Writes frame `seq` of the publisher `marker`: one Opus, one VP8, each
/// carrying the marker so a subscriber can tell whose it is.
pub fn write_frames(rtc: &mut Rtc, (audio, video): (Mid, Mid), marker: u8, seq: u32, now: Instant) {
    let elapsed = u64::from(seq) * 20;
    let seq_bytes = seq.to_be_bytes();
    for (mid, codec, frame, time) in [
        (
            audio,
            Codec::Opus,
            vec![AUDIO_MARK, marker, seq_bytes[2], seq_bytes[3]],
            MediaTime::new(elapsed * 48, Frequency::FORTY_EIGHT_KHZ),
        ),
        (
            video,
            Codec::Vp8,
            vec![VIDEO_MARK, 0, 0, marker, seq_bytes[2], seq_bytes[3]],
            MediaTime::new(elapsed * 90, Frequency::NINETY_KHZ),
        ),
    ] {
        let writer = rtc.writer(mid).unwrap();
        let pt = writer
            .payload_params()
            .find(|p| p.spec().codec == codec)
            .map(|p| p.pt())
            .expect("the SFU negotiated Opus and VP8");
        writer.write(pt, now, time, frame).unwrap();
    }
}

/// The publisher marker of a received test frame of `kind`.
pub fn publisher_of(event: &Event, kind: MediaKind) -> Option<u8> {
    let Event::MediaData(d) = event else {
        return None;
    };
    match kind {
        MediaKind::Audio if d.data.len() == 4 && d.data[0] == AUDIO_MARK => Some(d.data[1]),
        MediaKind::Video if d.data.len() == 6 && d.data[0] == VIDEO_MARK => Some(d.data[3]),
        _ => None,
    }
}

/// A client's offer as a browser's would be: its audio and video to send.
pub fn offer_audio_video(rtc: &mut Rtc) -> (String, SdpPendingOffer, (Mid, Mid)) {
    let mut change = rtc.sdp_api();
    let audio = change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
    let video = change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
    let (offer, pending) = change.apply().unwrap();
    (offer.to_sdp_string(), pending, (audio, video))
}
