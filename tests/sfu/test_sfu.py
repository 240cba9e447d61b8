#!/usr/bin/env python3
"""A group call through hippo's SFU, with three real WebRTC peers.

Starts the real `hippo serve` (TLS with its generated certificate, the SFU on
a UDP port of 127.0.0.1), creates three clinicians and an auditor with the
CLI, signs them in, makes a group conversation of three, and has A start a
video call that B and C join. Each participant is an aiortc
RTCPeerConnection publishing a synthetic VP8 video track and a synthetic Opus
audio track; it sends its offer to session "sfu" as a `call.signal` on its
WebSocket, applies the SFU's answer and answers every later offer from "sfu"
(the SFU adding or removing the others' tracks).

Checked, in order (each wait has a timeout and says what it waited for):
  1. the call's topology is "sfu";
  2. every participant decodes video and audio frames from both others, on
     tracks whose stream id (msid) is the publisher's session id, and none
     of its own;
  3. bob's connection closes without a leave: the SFU drops him, he leaves
     the call (recorded with the SFU's reason), joins again with a new
     connection, and everyone decodes everyone again;
  4. a bad offer to "sfu" gets an `error` frame `validation_failed`, and the
     call goes on: before a session's first offer (carol), and from a
     connected session (bob), after which everyone, bob included, still
     decodes everyone's frames;
  5. C leaves: the SFU renegotiates, A and B keep decoding each other's
     frames, and C's stop;
  6. A and B leave: the call ends (`call.ended`, state "ended");
  7. an auditor finds call.start, call.join (3), call.leave (4, one with the
     SFU's reason) and call.end for the call in GET /api/v1/audit; and no
     error frame came but the two asked for.

Prints, per participant, the set-up time from its join (A: starting the
call) to its first decoded frame of each other participant's video.

Only loopback is used: ICE gathers 127.0.0.1 alone and no STUN server is
configured. Exit code 0 when every check passed; the last line is
"sfu: N passed, M failed".

Usage: test_sfu.py [--hippo target/debug/hippo] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import aioice.ice
import av
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

# Loopback only: aioice leaves 127.0.0.1 out of its host candidates, and the
# SFU listens there; nothing else is reached.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "sfu-test-password-0123456789"
T0 = time.monotonic()

passed: list[str] = []


class Failed(Exception):
    pass


def log(msg: str) -> None:
    print(f"[{time.monotonic() - T0:6.2f}s] {msg}", flush=True)


def ok(what: str) -> None:
    passed.append(what)
    log(f"PASS {what}")


def check(cond: bool, what: str) -> None:
    if not cond:
        raise Failed(what)


async def within(seconds: float, what: str, aw):
    try:
        return await asyncio.wait_for(aw, seconds)
    except asyncio.TimeoutError:
        raise Failed(f"timed out after {seconds:.0f}s waiting for {what}") from None


async def until(seconds: float, what: str, cond, describe=None) -> None:
    """Polls `cond()` every 50 ms until true; fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > deadline:
            extra = f" ({describe()})" if describe else ""
            raise Failed(f"timed out after {seconds:.0f}s waiting for {what}{extra}")
        await asyncio.sleep(0.05)


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- synthetic media ---------------------------------------------------------


class SynthVideo(VideoStreamTrack):
    """320x240 frames at 30 fps whose brightness sweeps (VP8 has work)."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.n = seed * 40

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(width=320, height=240, format="yuv420p")
        self.n += 1
        y = (self.n * 3) % 220 + 16
        for i, plane in enumerate(frame.planes):
            plane.update(bytes([y if i == 0 else 128 + (self.n % 64)]) * plane.buffer_size)
        frame.pts = pts
        frame.time_base = time_base
        return frame


class SynthAudio(AudioStreamTrack):
    """A sine tone, 20 ms frames of 48 kHz mono s16."""

    def __init__(self, hz: float) -> None:
        super().__init__()
        self.hz = hz
        self.samples = 0

    async def recv(self) -> av.AudioFrame:
        frame = await super().recv()  # paced silence with the right pts
        n = frame.samples
        tone = array(
            "h",
            (
                int(8000 * math.sin(2 * math.pi * self.hz * (self.samples + i) / 48000))
                for i in range(n)
            ),
        )
        self.samples += n
        frame.planes[0].update(tone.tobytes())
        return frame


def spread_candidates(sdp: str) -> str:
    """Copies the ICE candidates of the first m-section into the others.

    The SFU (str0m) writes its candidate only in the BUNDLE-tag m-section, as
    RFC 8843 7.3.1 says; aiortc 1.16 takes a bundled transport's remote
    candidates from its *last* m-section, so it would have none and never
    start its checks. Browsers read the tagged section; this does the same
    for aiortc. Nothing else in the SFU's SDP is changed."""
    lines = sdp.replace("\r\n", "\n").rstrip("\n").split("\n")
    cands = [ln for ln in lines if ln.startswith("a=candidate:")]
    sections: list[list[str]] = [[]]
    for ln in lines:
        if ln.startswith("m="):
            sections.append([])
        sections[-1].append(ln)
    out = sections[0]
    for sec in sections[1:]:
        if cands and not any(ln.startswith("a=candidate:") for ln in sec) \
                and not sec[0].split()[1] == "0":
            sec = sec + cands
        out += sec
    return "\r\n".join(out) + "\r\n"


# --- HTTP ----------------------------------------------------------------------


class Api:
    def __init__(self, base: str, ssl_ctx: ssl.SSLContext) -> None:
        self.base = base
        self.ssl = ssl_ctx
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def req(self, method: str, path: str, token: str | None = None, body=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(
            method, self.base + path, json=body, headers=headers, ssl=self.ssl
        ) as r:
            text = await r.text()
            try:
                data = json.loads(text) if text else None
            except ValueError:
                data = text
            return r.status, data

    async def expect(self, status: int | tuple, method: str, path: str, token=None, body=None):
        got, data = await self.req(method, path, token, body)
        want = status if isinstance(status, tuple) else (status,)
        check(got in want, f"{method} {path}: expected {status}, got {got}: {data}")
        return data


# --- a participant ---------------------------------------------------------------


@dataclass
class Remote:
    """What a participant receives from one publisher (by stream id)."""

    video: int = 0
    audio: int = 0
    first_video_at: float | None = None


@dataclass
class Peer:
    name: str
    user_id: str
    token: str
    ws: aiohttp.ClientWebSocketResponse | None = None
    session_id: str = ""
    pc: RTCPeerConnection | None = None
    call_id: str = ""
    joined_at: float = 0.0
    answers: asyncio.Queue = field(default_factory=asyncio.Queue)
    offers: asyncio.Queue = field(default_factory=asyncio.Queue)
    errors: asyncio.Queue = field(default_factory=asyncio.Queue)
    frames: list = field(default_factory=list)  # every server frame, in order
    remotes: dict = field(default_factory=dict)  # stream id -> Remote
    mid_stream: dict = field(default_factory=dict)  # mid -> stream id (SFU's msid)
    sfu_offers: int = 0
    tasks: list = field(default_factory=list)
    failure: str | None = None
    left: bool = False  # hung up: later SFU offers are not answered

    def remote(self, stream: str) -> Remote:
        return self.remotes.setdefault(stream, Remote())

    def counts(self) -> dict:
        return {
            s[-8:]: (r.video, r.audio) for s, r in self.remotes.items()
        }

    async def send(self, frame: dict) -> None:
        await self.ws.send_str(json.dumps(frame))

    async def read_loop(self) -> None:
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            self.frames.append(frame)
            kind = frame.get("type")
            if kind == "call.signal" and frame.get("from_session") == "sfu":
                sdp = frame.get("sdp") or {}
                if sdp.get("type") == "answer":
                    await self.answers.put(sdp["sdp"])
                elif sdp.get("type") == "offer":
                    await self.offers.put(sdp["sdp"])
            elif kind == "error":
                log(f"{self.name}: error frame {frame}")
                await self.errors.put(frame)

    async def renegotiate_loop(self) -> None:
        """Answers every offer the SFU makes (its tracks for us changed)."""
        while True:
            sdp = await self.offers.get()
            if self.left:
                continue
            try:
                self.learn_msids(sdp)
                await self.pc.setRemoteDescription(
                    RTCSessionDescription(spread_candidates(sdp), "offer"))
                answer = await self.pc.createAnswer()
                await self.pc.setLocalDescription(answer)
                await self.signal_sfu("answer", self.pc.localDescription.sdp)
                self.sfu_offers += 1
                log(f"{self.name}: answered SFU offer #{self.sfu_offers} "
                    f"({sdp.count(chr(10) + 'm=')} m-lines)")
            except Exception as e:  # noqa: BLE001 - reported as the failure
                if self.left:
                    return
                self.failure = f"{self.name}: answering the SFU's offer failed: {e!r}"
                log(self.failure)
                return

    def learn_msids(self, sdp: str) -> None:
        mid = msid = None
        for line in sdp.splitlines() + ["m=end"]:
            if line.startswith("m="):
                if mid is not None and msid:
                    self.mid_stream[mid] = msid
                mid = msid = None
            elif line.startswith("a=mid:"):
                mid = line[6:].strip()
            elif line.startswith("a=msid:"):
                msid = line[7:].split()[0]

    async def signal_sfu(self, kind: str, sdp: str) -> None:
        await self.send(
            {
                "type": "call.signal",
                "call_id": self.call_id,
                "to_session": "sfu",
                "sdp": {"type": kind, "sdp": sdp},
            }
        )

    def on_track(self, track) -> None:
        mid = next(
            (t.mid for t in self.pc.getTransceivers() if t.receiver.track is track), None
        )
        stream = self.mid_stream.get(mid, f"?mid={mid}")
        self.tasks.append(asyncio.ensure_future(self.consume(track, stream)))

    async def consume(self, track, stream: str) -> None:
        r = self.remote(stream)
        try:
            while True:
                await track.recv()
                if track.kind == "video":
                    if r.first_video_at is None:
                        r.first_video_at = time.monotonic()
                    r.video += 1
                else:
                    r.audio += 1
        except MediaStreamError:
            pass

    async def connect_media(self, seed: int) -> None:
        """Publishes audio and video to the SFU: offer, answer."""
        pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.pc = pc
        pc.on("track", self.on_track)
        pc.on("connectionstatechange",
              lambda: log(f"{self.name}: connection {pc.connectionState}"))
        pc.addTrack(SynthAudio(300 + 100 * seed))
        pc.addTrack(SynthVideo(seed))
        await pc.setLocalDescription(await pc.createOffer())  # gathers candidates
        await self.signal_sfu("offer", pc.localDescription.sdp)
        answer = await within(10, f"{self.name}'s answer from the SFU", self.answers.get())
        self.learn_msids(answer)
        if os.environ.get("SFU_DEBUG"):
            log(f"{self.name} offer:\n{pc.localDescription.sdp}\nanswer:\n{answer}")
        await pc.setRemoteDescription(RTCSessionDescription(spread_candidates(answer), "answer"))
        self.tasks.append(asyncio.ensure_future(self.renegotiate_loop()))

    async def wait_frame(self, what: str, pred, seconds: float = 5):
        """Waits for a server frame (seen before or after now) matching pred."""
        deadline = time.monotonic() + seconds
        while True:
            for f in self.frames:
                if pred(f):
                    return f
            if time.monotonic() > deadline:
                raise Failed(f"{self.name}: timed out after {seconds:.0f}s waiting for {what}")
            await asyncio.sleep(0.05)

    async def drop_media(self) -> None:
        """Closes the connection (no leave), as a crashed tab would."""
        for t in self.tasks:
            if t.get_coro().__name__ == "renegotiate_loop":
                t.cancel()
        await self.pc.close()
        self.mid_stream.clear()

    async def close(self) -> None:
        if self.pc:
            await self.pc.close()
        for t in self.tasks:
            t.cancel()
        if self.ws and not self.ws.closed:
            await self.ws.close()


# --- the test ------------------------------------------------------------------------


# hippo reads HIPPO_* settings from the environment: only the flags here count.
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("HIPPO_")}


def hippo_cmd(hippo: str, data: str, *args: str) -> list[str]:
    return [hippo, *args, "--data-dir", data, "--require-mfa", "false"]


def create_user(hippo: str, data: str, name: str, role: str) -> None:
    r = subprocess.run(
        hippo_cmd(hippo, data, "user", "create", "--username", name, "--role", role,
                  "--display-name", name.capitalize(), "--password-stdin"),
        input=PASSWORD + "\n", capture_output=True, text=True, timeout=30, env=CLEAN_ENV,
    )
    check(r.returncode == 0, f"hippo user create {name}: exit {r.returncode}: {r.stderr.strip()}")


async def run(hippo: str, work: Path) -> None:
    data = str(work / "data")
    http_port = free_port(socket.SOCK_STREAM)
    media_port = free_port(socket.SOCK_DGRAM)
    server_log = work / "hippo.log"
    env = dict(CLEAN_ENV, HIPPO_LOG=os.environ.get("HIPPO_LOG", "info,hippo_media=debug"))
    log(f"starting {hippo} serve on 127.0.0.1:{http_port}, SFU on 127.0.0.1:{media_port}/udp")
    with open(server_log, "wb") as logf:
        server = subprocess.Popen(
            hippo_cmd(hippo, data, "serve", "--listen", f"127.0.0.1:{http_port}",
                      "--media-listen", f"127.0.0.1:{media_port}"),
            stdout=logf, stderr=subprocess.STDOUT, env=env,
        )
    peers: list[Peer] = []
    api = None
    try:
        cert = Path(data) / "tls" / "cert.pem"
        await until(20, "hippo to write its TLS certificate", cert.exists)
        await asyncio.sleep(0.2)
        ssl_ctx = ssl.create_default_context(cafile=str(cert))  # trust only hippo's own
        api = Api(f"https://127.0.0.1:{http_port}", ssl_ctx)

        async def ready() -> bool:
            try:
                return (await api.req("GET", "/readyz"))[0] == 200
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError):
                return False

        deadline = time.monotonic() + 20
        while not await ready():
            check(server.poll() is None, f"hippo serve exited with {server.returncode}; see {server_log}")
            check(time.monotonic() < deadline, "timed out after 20s waiting for /readyz")
            await asyncio.sleep(0.1)
        log("hippo is ready")

        for name, role in [("alice", "clinician"), ("bob", "clinician"),
                           ("carol", "clinician"), ("audrey", "auditor")]:
            create_user(hippo, data, name, role)
        tokens = {}
        for name in ["alice", "bob", "carol", "audrey"]:
            d = await api.expect(200, "POST", "/api/v1/auth/login",
                                 body={"username": name, "password": PASSWORD})
            check(not d["mfa_enrollment_required"] and not d["password_change_required"],
                  f"{name}'s session is limited: {d}")
            tokens[name] = (d["token"], d["user"]["id"])
        a, b, c = (Peer(n, tokens[n][1], tokens[n][0]) for n in ["alice", "bob", "carol"])
        peers = [a, b, c]
        conv = await api.expect(201, "POST", "/api/v1/conversations", a.token,
                                {"kind": "group", "title": "SFU peer test",
                                 "member_ids": [b.user_id, c.user_id]})

        ws_url = f"wss://127.0.0.1:{http_port}/api/v1/stream"
        for p in peers:
            p.ws = await within(10, f"{p.name}'s WebSocket", api.http.ws_connect(
                ws_url, headers={"Authorization": f"Bearer {p.token}"}, ssl=ssl_ctx,
                heartbeat=None))
            first = await within(5, f"{p.name}'s ready frame", p.ws.receive_json())
            check(first.get("type") == "ready", f"{p.name}: first frame is not ready: {first}")
            p.session_id = first["session_id"]
            p.tasks.append(asyncio.ensure_future(p.read_loop()))
        ok("three clinicians signed in, each with a stream (ready)")

        # 1. A starts a video call: through the SFU.
        a.joined_at = time.monotonic()
        call = await api.expect(201, "POST", f"/api/v1/conversations/{conv['id']}/calls",
                                a.token, {"media": "video"})
        check(call["topology"] == "sfu", f"a call in a group of three has topology {call['topology']!r}, not 'sfu'")
        for p in peers:
            p.call_id = call["id"]
        ok("a group video call of three is an SFU call")

        await a.connect_media(0)
        log("alice published to the SFU")

        async def join(p: Peer, seed: int) -> None:
            await p.wait_frame("call.ringing", lambda f: f.get("type") == "call.ringing")
            p.joined_at = time.monotonic()
            await api.expect(200, "POST", f"/api/v1/calls/{call['id']}/join", p.token)
            if p is c:
                # A bad first offer (the session is not in the room yet).
                await p.signal_sfu("offer", "v=0\r\nm=garbage")
                err = await within(5, "carol's error frame for a bad first offer", p.errors.get())
                check(err.get("code") == "validation_failed",
                      f"a bad first offer to the SFU got {err}, not validation_failed")
            await p.connect_media(seed)
            log(f"{p.name} joined and published to the SFU")

        await asyncio.gather(join(b, 1), join(c, 2))
        ok("bob and carol joined; carol's bad first offer got validation_failed, her next one an answer")

        async def leave(p: Peer) -> None:
            p.left = True
            await api.expect(200, "POST", f"/api/v1/calls/{call['id']}/leave", p.token)
            await p.pc.close()

        # 2. Everyone decodes everyone else's audio and video.
        def failures() -> str | None:
            return next((p.failure for p in peers if p.failure), None)

        def all_flowing(peers_now: list[Peer], min_video: int, min_audio: int, base=None) -> bool:
            check(failures() is None, str(failures()))
            for p in peers_now:
                for q in peers_now:
                    if q is p:
                        continue
                    r = p.remotes.get(q.session_id)
                    v0, a0 = (base or {}).get((p.name, q.name), (0, 0))
                    if r is None or r.video - v0 < min_video or r.audio - a0 < min_audio:
                        return False
            return True

        def stalled(peers_now: list[Peer], base: dict) -> str:
            """Which publisher -> receiver pairs decoded no new video since base."""
            now = snapshot()
            bad = [f"{q} -> {p}" for (p, q), (v, _) in now.items()
                   if any(x.name == p for x in peers_now) and any(x.name == q for x in peers_now)
                   and v <= base[(p, q)][0]]
            return "no new video frames for " + (", ".join(bad) or "none") + "; " + describe()

        def describe() -> str:
            sids = {p.session_id[-8:]: p.name for p in peers}
            return "; ".join(
                f"{p.name} has " + (", ".join(
                    f"{sids.get(s, s)}: {v} video/{au} audio" for s, (v, au) in p.counts().items()
                ) or "nothing") + f" after {p.sfu_offers} SFU offer(s)"
                for p in peers
            )

        await until(25, "every participant to decode 15 video and 25 audio frames from both others",
                    lambda: all_flowing(peers, 15, 25), describe)
        for p in peers:
            others = {q.session_id for q in peers if q is not p}
            flowing = {s for s, r in p.remotes.items() if r.video or r.audio}
            check(flowing == others,
                  f"{p.name} receives streams {sorted(flowing)}, expected the other sessions {sorted(others)}")
            check(p.session_id not in p.remotes, f"{p.name} is sent its own tracks")
        ok("each participant decodes video and audio from both others, stream ids = their session ids")
        timings = {}
        for p in peers:
            for q in peers:
                if q is not p:
                    t = p.remotes[q.session_id].first_video_at - p.joined_at
                    timings[(p.name, q.name)] = t
        for p in peers:
            firsts = [timings[(p.name, q.name)] for q in peers if q is not p]
            log(f"set-up {p.name}: join -> first remote video frame {min(firsts) * 1000:.0f} ms, "
                f"-> both others' video {max(firsts) * 1000:.0f} ms")

        def snapshot() -> dict:
            return {(p.name, q.name): (p.remote(q.session_id).video, p.remote(q.session_id).audio)
                    for p in peers for q in peers if q is not p}

        # 3. Bob's connection closes (a crashed tab, a network change): the
        # SFU drops him and he leaves the call; he joins again with a new
        # connection and everyone flows again.
        await b.drop_media()
        bob_state = {}

        async def bob_left() -> bool:
            st = await api.expect(200, "GET", f"/api/v1/calls/{call['id']}", a.token)
            me = next(x for x in st["participants"] if x["user_id"] == b.user_id)
            bob_state.update(call=st["state"], bob=me["state"])
            return me["state"] == "left"

        deadline = time.monotonic() + 8
        while not await bob_left():
            check(time.monotonic() < deadline,
                  f"timed out after 8s waiting for the SFU to drop bob, whose connection closed ({bob_state})")
            await asyncio.sleep(0.1)
        check(bob_state["call"] == "active", f"the call is {bob_state['call']} after the SFU dropped bob")
        b.remotes.clear()
        base = snapshot()
        b.joined_at = time.monotonic()
        await api.expect(200, "POST", f"/api/v1/calls/{call['id']}/join", b.token)
        await b.connect_media(3)
        await until(10, "everyone to decode everyone's frames after bob joined again",
                    lambda: all_flowing(peers, 15, 25, base), lambda: stalled(peers, base))
        t = min(r.first_video_at for r in b.remotes.values() if r.first_video_at) - b.joined_at
        log(f"set-up bob, joining again: first remote video frame {t * 1000:.0f} ms")
        ok("bob's closed connection makes him leave the call; joined again, everyone flows")

        # 4. A bad offer to the SFU is refused; the call goes on.
        await b.signal_sfu("offer", "v=0\r\nm=garbage")
        err = await within(5, "bob's error frame for a bad offer", b.errors.get())
        check(err.get("code") == "validation_failed",
              f"a bad offer to the SFU got error code {err.get('code')!r}, not validation_failed: {err}")
        base = snapshot()
        await until(8, "every participant to go on decoding everyone's frames after bob's bad offer",
                    lambda: all_flowing(peers, 20, 25, base), lambda: stalled(peers, base))
        state = await api.expect(200, "GET", f"/api/v1/calls/{call['id']}", a.token)
        joined = [x for x in state["participants"] if x["state"] == "joined"]
        check(state["state"] == "active" and len(joined) == 3,
              f"after the bad offer the call is {state['state']} with {len(joined)} joined")
        ok("a bad offer to 'sfu' gets validation_failed and the call goes on")

        # 5. C leaves: A and B keep going, C's tracks stop.
        offers_before = {p.name: p.sfu_offers for p in (a, b)}
        await leave(c)
        await until(8, "the SFU to renegotiate with alice and bob after carol left",
                    lambda: all(p.sfu_offers > offers_before[p.name] for p in (a, b)) or bool(failures()),
                    describe)
        check(failures() is None, str(failures()))
        base = snapshot()
        await until(8, "alice and bob to go on decoding each other's frames after carol left",
                    lambda: all_flowing([a, b], 20, 25, base), lambda: stalled([a, b], base))
        await asyncio.sleep(0.5)
        after = snapshot()
        for p in (a, b):
            v, _ = after[(p.name, "carol")]
            v1, _ = base[(p.name, "carol")]
            check(v - v1 <= 2, f"{p.name} still decodes carol's video after she left ({v1} -> {v})")
        ok("after carol leaves, alice and bob keep decoding each other; carol's tracks stop")

        # 6. A and B leave: the call ends.
        await leave(a)
        await leave(b)
        ended = await b.wait_frame("call.ended", lambda f: f.get("type") == "call.ended")
        state = await api.expect(200, "GET", f"/api/v1/calls/{call['id']}", b.token)
        check(state["state"] == "ended", f"the call is {state['state']} after everyone left")
        log(f"call ended: end_reason={ended['call'].get('end_reason')} duration_ms={state.get('duration_ms')}")
        ok("the call ends when everyone has left")

        # 7. The audit trail has the call.
        aud_token = tokens["audrey"][0]
        actions: dict[str, int] = {}
        data_ = await api.expect(200, "GET", f"/api/v1/audit?resource_id={call['id']}&limit=1000", aud_token)
        for e in data_["events"]:
            if e["outcome"] == "success":
                actions[e["action"]] = actions.get(e["action"], 0) + 1
        log(f"audit records for the call: {actions}")
        # joins: bob twice, carol; leaves: bob (dropped by the SFU), carol, alice, bob
        want = {"call.start": 1, "call.join": 3, "call.leave": 4, "call.end": 1}
        for action, n in want.items():
            check(actions.get(action, 0) >= n,
                  f"audit: {actions.get(action, 0)} {action} records for the call, expected at least {n} ({actions})")
        dropped = [e for e in data_["events"] if e["action"] == "call.leave"
                   and e["actor_id"] == b.user_id and (e.get("detail") or {}).get("reason")]
        check(bool(dropped), f"audit: no call.leave of bob with the SFU's reason ({data_['events']})")
        log(f"bob's drop is recorded as call.leave with reason {dropped[0]['detail']['reason']!r}")
        ok("the auditor sees call.start, call.join x3, call.leave x4 (one the SFU's), call.end")

        stray = [(p.name, p.errors.get_nowait()) for p in peers for _ in range(p.errors.qsize())]
        check(not stray, f"unexpected error frames: {stray}")
        ok("no other error frame reached any participant")
    finally:
        for p in peers:
            p.left = True
            try:
                await p.close()
            except Exception:  # noqa: BLE001 - cleaning up
                pass
        if api:
            await api.http.close()
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hippo", default=str(REPO / "target" / "debug" / "hippo"))
    ap.add_argument("--keep", action="store_true", help="keep the data directory and log")
    ap.add_argument("--timeout", type=float, default=90, help="the whole test, seconds")
    args = ap.parse_args()
    check_bin = Path(args.hippo)
    if not check_bin.is_file():
        print(f"sfu: {check_bin} not found (cargo build -p hippo)", file=sys.stderr)
        print("sfu: 0 passed, 1 failed")
        return 1
    if os.environ.get("SFU_DEBUG"):
        import logging
        logging.basicConfig(level=logging.INFO)
        logging.getLogger("aioice").setLevel(logging.DEBUG)
    work = Path(tempfile.mkdtemp(prefix="hippo-sfu-"))
    failed = None
    try:
        asyncio.run(asyncio.wait_for(run(args.hippo, work), args.timeout))
    except Failed as e:
        failed = str(e)
    except asyncio.TimeoutError:
        failed = f"the whole test took over {args.timeout:.0f}s"
    except Exception as e:  # noqa: BLE001 - any crash is a failure
        import traceback
        traceback.print_exc()
        failed = f"crashed: {e!r}"
    log_path = work / "hippo.log"
    if failed:
        log(f"FAIL {failed}")
        if log_path.exists():
            lines = log_path.read_text(errors="replace").splitlines()
            print(f"--- last lines of hippo's log ({log_path}) ---")
            for line in lines[-40:]:
                print(re.sub(r"\x1b\[[0-9;]*m", "", line))
            print("---")
    log(f"took {time.monotonic() - T0:.1f}s")
    if args.keep or failed:
        print(f"sfu: data directory and log kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"sfu: {len(passed)} passed, {1 if failed else 0} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
