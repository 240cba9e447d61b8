// Reads a QR code the way a phone camera would: a screenshot of the element
// (PNG), its pixels, and jsQR on them.

import { decodePng } from "./png.mjs";
import jsQRModule from "jsqr";

// jsqr is CommonJS whose module.exports is the function; its typings say ES default.
/** @type {(data: Uint8ClampedArray, w: number, h: number) => { data: string } | null} */
const jsQR = /** @type {any} */ (jsQRModule);

/**
 * The text a QR code on screen carries.
 * @param {import("playwright-core").Locator} locator
 */
export async function readQr(locator) {
  const png = await locator.screenshot({ animations: "disabled" });
  const { width, height, data } = decodePng(png);
  const code = jsQR(data, width, height);
  if (!code) throw new Error(`no QR code could be read from the element (${width}x${height} screenshot)`);
  return code.data;
}
