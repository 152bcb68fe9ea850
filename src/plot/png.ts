import { QmoeInputError, checkInt } from '../errors.js';

/**
 * A minimal PNG encoder for small RGB rasters (the heatmap layer of a boundary picture), in
 * plain JavaScript so it runs in a browser too. The image data are stored without compression
 * (zlib "stored" deflate blocks): a 100 x 100 heatmap is 30 KB, and encoding costs nothing.
 */
export function encodePngRgb(width: number, height: number, rgb: Uint8Array): Uint8Array {
  checkInt('width', width, 1, 16384);
  checkInt('height', height, 1, 16384);
  if (!(rgb instanceof Uint8Array) || rgb.length !== width * height * 3) {
    throw new QmoeInputError('rgb.length', (rgb as Uint8Array)?.length, `must equal width x height x 3 = ${width * height * 3}`);
  }
  // Raw scanlines: a filter byte (0, none) before each row.
  const stride = width * 3 + 1;
  const raw = new Uint8Array(stride * height);
  for (let r = 0; r < height; r++) raw.set(rgb.subarray(r * width * 3, (r + 1) * width * 3), r * stride + 1);

  // zlib stream: header, stored blocks of at most 65535 bytes, Adler-32.
  const blocks = Math.max(1, Math.ceil(raw.length / 65535));
  const z = new Uint8Array(2 + raw.length + blocks * 5 + 4);
  z[0] = 0x78;
  z[1] = 0x01;
  let o = 2;
  for (let b = 0; b < blocks; b++) {
    const start = b * 65535;
    const len = Math.min(65535, raw.length - start);
    z[o++] = b === blocks - 1 ? 1 : 0;
    z[o++] = len & 0xff;
    z[o++] = len >>> 8;
    z[o++] = ~len & 0xff;
    z[o++] = (~len >>> 8) & 0xff;
    z.set(raw.subarray(start, start + len), o);
    o += len;
  }
  writeU32(z, o, adler32(raw));

  const ihdr = new Uint8Array(13);
  writeU32(ihdr, 0, width);
  writeU32(ihdr, 4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits per channel, RGB, deflate, adaptive filters, no interlace
  const chunks = [chunk('IHDR', ihdr), chunk('IDAT', z), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(8 + chunks.reduce((s, c) => s + c.length, 0));
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  let at = 8;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Base64 of bytes (btoa exists in Node >= 16 and in browsers). */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const c = new Uint8Array(12 + data.length);
  writeU32(c, 0, data.length);
  for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i);
  c.set(data, 8);
  writeU32(c, 8 + data.length, crc32(c.subarray(4, 8 + data.length)));
  return c;
}

function writeU32(a: Uint8Array, at: number, v: number): void {
  a[at] = v >>> 24;
  a[at + 1] = (v >>> 16) & 0xff;
  a[at + 2] = (v >>> 8) & 0xff;
  a[at + 3] = v & 0xff;
}

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; i++) {
    a = (a + data[i]) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

let CRC_TABLE: Uint32Array | undefined;

function crc32(data: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
