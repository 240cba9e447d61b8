/**
 * The ringing sound of an incoming call: two short beeps every three
 * seconds, made with WebAudio oscillators (no audio file, nothing fetched).
 * A page the user has not touched yet may not start audio: then it rings
 * silently (the dialog is what matters).
 */

let ctx: AudioContext | null = null;
let timer: ReturnType<typeof setInterval> | null = null;

function beep(at: number, freq: number) {
  if (!ctx) return;
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = "sine";
  osc.frequency.value = freq;
  gain.gain.setValueAtTime(0, at);
  gain.gain.linearRampToValueAtTime(0.12, at + 0.02);
  gain.gain.setValueAtTime(0.12, at + 0.22);
  gain.gain.linearRampToValueAtTime(0, at + 0.25);
  osc.connect(gain).connect(ctx.destination);
  osc.start(at);
  osc.stop(at + 0.3);
}

function ring() {
  if (!ctx) return;
  const t = ctx.currentTime + 0.05;
  beep(t, 880);
  beep(t + 0.4, 660);
}

/** Starts ringing (idempotent). */
export function startRinging() {
  if (ctx) return;
  try {
    ctx = new AudioContext();
  } catch {
    ctx = null;
    return;
  }
  void ctx.resume().catch(() => {});
  ring();
  timer = setInterval(ring, 3000);
}

export function stopRinging() {
  if (timer) clearInterval(timer);
  timer = null;
  const c = ctx;
  ctx = null;
  if (c) void c.close().catch(() => {});
}

/** Whether the ringer is on (the dialog shows "ringing" either way). */
export function isRinging(): boolean {
  return ctx !== null;
}
