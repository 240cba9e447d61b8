/**
 * One RTCPeerConnection to the other side's session of a two-party call:
 * local tracks out, remote stream in, offer/answer and trickled ICE
 * candidates over `call.signal`, and what getStats says about the link
 * (the selected candidate pair: direct or relayed, round-trip time, loss).
 * The offerer also restarts ICE when the connection fails. With hippo's SFU
 * (group calls) the same class is the one connection to the SFU, which
 * offers again whenever the set of tracks changes.
 */
import type { CandidatePayload, SdpPayload } from "./types.ts";

export interface PeerHooks {
  /** Sends a signal to the remote session; false when the socket is down. */
  send(signal: { sdp?: SdpPayload; candidate?: CandidatePayload }): boolean;
  onRemoteStream(stream: MediaStream): void;
  onChange(): void;
}

/** What the call screen shows about the connection. */
export interface LinkInfo {
  /** The selected local candidate's type: `relay` means through TURN. */
  localType: string | null;
  remoteType: string | null;
  /** Seconds, from the selected candidate pair. */
  rttSeconds: number | null;
  /** Of inbound RTP packets, 0..1. */
  lossRatio: number | null;
  framesDecoded: number;
  quality: "good" | "fair" | "poor" | null;
}

export class Peer {
  readonly pc: RTCPeerConnection;
  readonly remoteSession: string;
  readonly offerer: boolean;
  readonly #hooks: PeerHooks;
  #pending: RTCIceCandidateInit[] = [];
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  #restarting = false;
  #lastLost = 0;
  #lastReceived = 0;

  readonly #iceRestart: boolean;

  constructor(opts: {
    config: RTCConfiguration;
    local: MediaStream | null;
    remoteSession: string;
    offerer: boolean;
    /** Send our ICE candidates (false for an ICE-lite SFU). */
    trickle?: boolean;
    /** Restart ICE when the connection fails (the offerer; not with the SFU). */
    iceRestart?: boolean;
    hooks: PeerHooks;
  }) {
    this.remoteSession = opts.remoteSession;
    this.offerer = opts.offerer;
    this.#iceRestart = opts.iceRestart ?? true;
    const trickle = opts.trickle ?? true;
    this.#hooks = opts.hooks;
    const pc = new RTCPeerConnection(opts.config);
    this.pc = pc;
    for (const track of opts.local?.getTracks() ?? []) pc.addTrack(track, opts.local!);
    pc.onicecandidate = (e) => {
      if (this.#closed || !trickle || !e.candidate || !e.candidate.candidate) return;
      const c = e.candidate;
      this.#hooks.send({
        candidate: {
          candidate: c.candidate,
          sdpMid: c.sdpMid,
          sdpMLineIndex: c.sdpMLineIndex,
          usernameFragment: c.usernameFragment,
        },
      });
    };
    pc.ontrack = (e) => {
      if (this.#closed) return;
      const stream = e.streams[0] ?? new MediaStream([e.track]);
      this.#hooks.onRemoteStream(stream);
    };
    pc.onconnectionstatechange = () => {
      if (this.#closed) return;
      if (pc.connectionState === "failed" && this.offerer && this.#iceRestart) void this.offer(true);
      this.#hooks.onChange();
    };
    pc.oniceconnectionstatechange = () => {
      if (!this.#closed) this.#hooks.onChange();
    };
  }

  get state(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  /** Creates and sends the offer (the side that joined first does). */
  async offer(iceRestart = false): Promise<void> {
    if (this.#closed || (iceRestart && this.#restarting)) return;
    this.#restarting = iceRestart;
    try {
      const offer = await this.pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
      if (this.#closed) return;
      await this.pc.setLocalDescription(offer);
      const d = this.pc.localDescription;
      if (d && !this.#closed) this.#hooks.send({ sdp: { type: "offer", sdp: d.sdp } });
    } finally {
      this.#restarting = false;
    }
  }

  /** A signal from the remote session (handled one at a time, in arrival order). */
  receive(signal: { sdp?: SdpPayload | null; candidate?: CandidatePayload | null }): Promise<void> {
    const next = this.#chain.then(() => this.#receive(signal));
    this.#chain = next.catch(() => {});
    return next;
  }

  async #receive(signal: { sdp?: SdpPayload | null; candidate?: CandidatePayload | null }): Promise<void> {
    if (this.#closed) return;
    const pc = this.pc;
    if (signal.sdp) {
      if (signal.sdp.type === "offer") {
        await pc.setRemoteDescription({ type: "offer", sdp: signal.sdp.sdp });
        await this.#flush();
        const answer = await pc.createAnswer();
        if (this.#closed) return;
        await pc.setLocalDescription(answer);
        const d = pc.localDescription;
        if (d && !this.#closed) this.#hooks.send({ sdp: { type: "answer", sdp: d.sdp } });
      } else if (pc.signalingState === "have-local-offer") {
        await pc.setRemoteDescription({ type: "answer", sdp: signal.sdp.sdp });
        await this.#flush();
      }
    }
    if (signal.candidate) {
      const c: RTCIceCandidateInit = {
        candidate: signal.candidate.candidate,
        sdpMid: signal.candidate.sdpMid ?? null,
        sdpMLineIndex: signal.candidate.sdpMLineIndex ?? null,
        usernameFragment: signal.candidate.usernameFragment ?? null,
      };
      if (!pc.remoteDescription) this.#pending.push(c);
      else await pc.addIceCandidate(c).catch(() => {});
    }
  }

  async #flush() {
    const list = this.#pending;
    this.#pending = [];
    for (const c of list) await this.pc.addIceCandidate(c).catch(() => {});
  }

  /** New TURN credentials for later gathering (ICE restarts). */
  setIceServers(iceServers: RTCIceServer[]) {
    if (this.#closed) return;
    try {
      this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
    } catch {
      // Some settings cannot change on a live connection; the old ones stay.
    }
  }

  /** Reads getStats: the selected candidate pair and inbound RTP. */
  async link(): Promise<LinkInfo> {
    const report = await this.pc.getStats();
    let pairId: string | null = null;
    let framesDecoded = 0;
    let lost = 0;
    let received = 0;
    report.forEach((r) => {
      if (r.type === "transport" && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
      if (r.type === "inbound-rtp") {
        framesDecoded += r.framesDecoded ?? 0;
        lost += r.packetsLost ?? 0;
        received += r.packetsReceived ?? 0;
      }
    });
    let pair: RTCIceCandidatePairStats | undefined = pairId ? report.get(pairId) : undefined;
    if (!pair) {
      report.forEach((r) => {
        if (!pair && r.type === "candidate-pair" && r.nominated && r.state === "succeeded") pair = r;
      });
    }
    const local = pair ? report.get(pair.localCandidateId) : undefined;
    const remote = pair ? report.get(pair.remoteCandidateId) : undefined;
    const rtt = pair?.currentRoundTripTime ?? null;
    // Loss over the last interval, not since the start.
    const dLost = Math.max(0, lost - this.#lastLost);
    const dReceived = Math.max(0, received - this.#lastReceived);
    this.#lastLost = lost;
    this.#lastReceived = received;
    const lossRatio = dLost + dReceived > 0 ? dLost / (dLost + dReceived) : null;
    let quality: LinkInfo["quality"] = null;
    if (rtt !== null) {
      const loss = lossRatio ?? 0;
      quality = rtt < 0.15 && loss < 0.02 ? "good" : rtt < 0.4 && loss < 0.08 ? "fair" : "poor";
    }
    return {
      localType: local?.candidateType ?? null,
      remoteType: remote?.candidateType ?? null,
      rttSeconds: rtt,
      lossRatio,
      framesDecoded,
      quality,
    };
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.pc.oniceconnectionstatechange = null;
    this.pc.close();
  }
}
