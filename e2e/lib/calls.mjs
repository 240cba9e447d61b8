// The call screens by role and accessible name, and what a person would
// notice: a remote video that shows moving pictures (its frame size is
// known and its playback clock advances), the connection line of the call
// panel ("Direct" / "Relayed", round trip), and, for TURN checks, a bare
// RTCPeerConnection in the page that gathers candidates from given servers.

import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { eventually, escapeRe } from "./ui.mjs";

/** @param {import("playwright-core").Page} page */
export const callUi = (page) => ({
  startVideo: page.getByRole("button", { name: "Start video call", exact: true }),
  startAudio: page.getByRole("button", { name: "Start audio call", exact: true }),
  incoming: page.getByRole("alertdialog", { name: /^Incoming (video|audio) call$/ }),
  accept: page.getByRole("alertdialog").getByRole("button", { name: "Accept", exact: true }),
  decline: page.getByRole("alertdialog").getByRole("button", { name: "Decline", exact: true }),
  hangUp: page.getByRole("button", { name: "Hang up", exact: true }),
  mute: page.getByRole("button", { name: "Mute", exact: true }),
  unmute: page.getByRole("button", { name: "Unmute", exact: true }),
  cameraOff: page.getByRole("button", { name: "Camera off", exact: true }),
  cameraOn: page.getByRole("button", { name: "Camera on", exact: true }),
  /** @param {string} who */
  panel: (who) => page.getByRole("region", { name: `Call with ${who}`, exact: true }),
  anyPanel: page.getByRole("region", { name: /^Call with / }),
  /** @param {string} who */
  remoteVideo: (who) => page.getByLabel(`Video from ${who}`, { exact: true }),
  /** @param {string} who */
  remoteAudio: (who) => page.getByLabel(`Audio from ${who}`, { exact: true }),
  localVideo: page.getByLabel("Your camera", { exact: true }),
  duration: page.getByLabel("Call duration", { exact: true }),
});

/**
 * The call panel's status line (role status inside the panel).
 * @param {import("playwright-core").Page} page
 * @param {string} who
 */
export async function callStatus(page, who) {
  return (await callUi(page).panel(who).getByRole("status").innerText()).trim();
}

/**
 * Waits until a <video> shows moving pictures: a frame size above zero and a
 * playback clock that advances between two looks `gapMs` apart.
 * @param {import("playwright-core").Locator} video
 * @param {string} what
 * @param {number} [timeout]
 */
export async function expectMovingVideo(video, what, timeout = 20_000) {
  /** @returns {Promise<{ w: number, h: number, t: number, paused: boolean }>} */
  const look = () =>
    video.evaluate((el) => {
      const v = /** @type {HTMLVideoElement} */ (el);
      return { w: v.videoWidth, h: v.videoHeight, t: v.currentTime, paused: v.paused };
    });
  const first = /** @type {{ w: number, h: number, t: number, paused: boolean }} */ (await eventually(async () => {
    const l = await look();
    return l.w > 0 && l.h > 0 && !l.paused ? l : null;
  }, `${what}: a video frame`, timeout));
  await sleep(1000);
  const second = await look();
  assert.ok(second.t > first.t + 0.3, `${what}: playback advances (${first.t} → ${second.t} s)`);
  return second;
}

/**
 * Waits until an <audio> plays a remote stream: not paused, with a playback
 * clock that advances between two looks a second apart.
 * @param {import("playwright-core").Locator} audio
 * @param {string} what
 */
export async function expectPlayingAudio(audio, what, timeout = 20_000) {
  /** @returns {Promise<{ t: number, paused: boolean, tracks: number }>} */
  const look = () =>
    audio.evaluate((el) => {
      const a = /** @type {HTMLAudioElement} */ (el);
      const src = /** @type {MediaStream | null} */ (a.srcObject);
      return { t: a.currentTime, paused: a.paused, tracks: src ? src.getAudioTracks().length : 0 };
    });
  const first = /** @type {{ t: number, paused: boolean, tracks: number }} */ (
    await eventually(async () => {
      const l = await look();
      return l.tracks > 0 && !l.paused && l.t > 0 ? l : null;
    }, `${what}: remote audio playing`, timeout)
  );
  await sleep(1000);
  const second = await look();
  assert.ok(second.t > first.t + 0.3, `${what}: playback advances (${first.t} → ${second.t} s)`);
}

/**
 * The connection line of the call panel, once it names the path.
 * @param {import("playwright-core").Page} page
 * @param {string} who
 * @param {RegExp} want
 */
export async function expectLink(page, who, want, timeout = 15_000) {
  const panel = callUi(page).panel(who);
  return /** @type {string} */ (
    await eventually(async () => {
      const t = await panel.getByText(/^(Direct|Relayed)\b/).innerText();
      return want.test(t) ? t : null;
    }, `the call panel to show ${want}`, timeout)
  );
}

/**
 * Gathers ICE candidates in the page with a bare RTCPeerConnection
 * (relay only): what a TURN server grants those credentials.
 * @param {import("playwright-core").Page} page
 * @param {Array<{ urls: string | string[], username?: string, credential?: string }>} iceServers
 * @returns {Promise<{ candidates: string[], errors: Array<{ code: number, text: string, url: string }> }>}
 */
export async function gatherRelay(page, iceServers) {
  return await page.evaluate(async (servers) => {
    const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: "relay" });
    pc.createDataChannel("probe");
    /** @type {string[]} */
    const candidates = [];
    /** @type {Array<{ code: number, text: string, url: string }>} */
    const errors = [];
    pc.onicecandidate = (e) => {
      if (e.candidate && e.candidate.candidate) candidates.push(e.candidate.candidate);
    };
    pc.onicecandidateerror = (e) => {
      const ev = /** @type {RTCPeerConnectionIceErrorEvent} */ (e);
      errors.push({ code: ev.errorCode, text: ev.errorText, url: ev.url });
    };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((res) => {
      const t = setTimeout(res, 10_000);
      pc.onicegatheringstatechange = () => {
        if (pc.iceGatheringState === "complete") {
          clearTimeout(t);
          res(undefined);
        }
      };
    });
    pc.close();
    return { candidates, errors };
  }, iceServers);
}

/**
 * The call the server has for a conversation, seen by `token`'s user.
 * @param {import("./server.mjs").HippoServer} srv
 * @param {string} token
 * @param {string} id
 */
export async function serverCall(srv, token, id) {
  return await srv.api("GET", `/api/v1/calls/${id}`, { token });
}

export { escapeRe };
