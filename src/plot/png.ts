import { encode } from 'fast-png';
import { QmoeInputError, checkInt } from '../errors.js';

/**
 * PNG of a small RGB raster (the heatmap layer of a boundary picture), through fast-png: plain
 * JavaScript, so it runs in a browser too.
 */
export function encodePngRgb(width: number, height: number, rgb: Uint8Array): Uint8Array {
  checkInt('width', width, 1, 16384);
  checkInt('height', height, 1, 16384);
  if (!(rgb instanceof Uint8Array) || rgb.length !== width * height * 3) {
    throw new QmoeInputError('rgb.length', (rgb as Uint8Array)?.length, `must equal width x height x 3 = ${width * height * 3}`);
  }
  return encode({ width, height, data: rgb, channels: 3, depth: 8 });
}

/** Base64 of bytes (btoa exists in Node >= 16 and in browsers). */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
