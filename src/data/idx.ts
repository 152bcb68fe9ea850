import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { QmoeInputError } from '../errors.js';

/**
 * The IDX file format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
 *   bytes 0-1  zero
 *   byte  2    element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
 *   byte  3    number of dimensions d (>= 1)
 *   then d big-endian uint32 sizes, then the elements, big-endian, row-major (last index fastest).
 * Files may be gzip-compressed (as Debian's dataset-fashion-mnist ships them): a gzip stream is
 * recognised by its magic bytes (1f 8b) and inflated first, whatever the file name says.
 */
export interface IdxArray {
  /** Element type name. */
  type: IdxType;
  /** Sizes of each dimension, e.g. [60000, 28, 28] for images, [60000] for labels. */
  dims: number[];
  /** The elements, row-major. uint8/int8/int16/int32 become the matching typed array, float32/float64 too. */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

const TYPES: Record<number, { type: IdxType; bytes: number }> = {
  0x08: { type: 'uint8', bytes: 1 },
  0x09: { type: 'int8', bytes: 1 },
  0x0b: { type: 'int16', bytes: 2 },
  0x0c: { type: 'int32', bytes: 4 },
  0x0d: { type: 'float32', bytes: 4 },
  0x0e: { type: 'float64', bytes: 8 },
};

const TYPE_CODES: Record<IdxType, number> = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e };

/** True when the bytes start a gzip stream. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses IDX bytes (gzip'd or raw). `name` (a file name) only appears in error messages.
 * Throws QmoeInputError for a bad magic number, an unknown type, or a size that does not match.
 */
export function parseIdx(input: Uint8Array, name = 'IDX data'): IdxArray {
  let bytes = input;
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new QmoeInputError(name, `${input.length} bytes`, `is not a valid gzip stream (${(e as Error).message})`);
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new QmoeInputError(name, `${bytes.length} bytes`, 'is not an IDX file: it must start with two zero bytes, a type byte and a dimension count');
  }
  const t = TYPES[bytes[2]];
  if (!t) throw new QmoeInputError(`${name} type byte`, `0x${bytes[2].toString(16)}`, 'must be 0x08, 0x09, 0x0b, 0x0c, 0x0d or 0x0e');
  const d = bytes[3];
  if (d < 1) throw new QmoeInputError(`${name} dimension count`, d, 'must be at least 1');
  const header = 4 + 4 * d;
  if (bytes.length < header) throw new QmoeInputError(name, `${bytes.length} bytes`, `is shorter than its header (${header} bytes for ${d} dimensions)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let k = 0; k < d; k++) {
    const n = view.getUint32(4 + 4 * k, false);
    dims.push(n);
    count *= n;
  }
  const expected = header + count * t.bytes;
  if (bytes.length !== expected) {
    throw new QmoeInputError(`${name} size`, bytes.length, `must be ${expected} bytes for dimensions [${dims.join(', ')}] of ${t.type}`);
  }
  let data: IdxArray['data'];
  switch (t.type) {
    case 'uint8':
      data = bytes.slice(header, expected);
      break;
    case 'int8':
      data = new Int8Array(bytes.slice(header, expected).buffer);
      break;
    case 'int16':
      data = Int16Array.from({ length: count }, (_, i) => view.getInt16(header + 2 * i, false));
      break;
    case 'int32':
      data = Int32Array.from({ length: count }, (_, i) => view.getInt32(header + 4 * i, false));
      break;
    case 'float32':
      data = Float32Array.from({ length: count }, (_, i) => view.getFloat32(header + 4 * i, false));
      break;
    case 'float64':
      data = Float64Array.from({ length: count }, (_, i) => view.getFloat64(header + 8 * i, false));
      break;
  }
  return { type: t.type, dims, data };
}

/** Reads and parses one IDX file (gzip'd or raw). */
export function readIdx(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new QmoeInputError('IDX file', path, `cannot be read (${err.code === 'ENOENT' ? 'no such file' : err.message})`);
  }
  return parseIdx(bytes, path);
}

/** Encodes an array as IDX bytes (big-endian); for tests and for writing subsets. */
export function encodeIdx(type: IdxType, dims: number[], values: ArrayLike<number>): Uint8Array {
  const t = TYPES[TYPE_CODES[type]];
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new QmoeInputError('values.length', values.length, `must equal the product of dims (${count})`);
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + count * t.bytes);
  const view = new DataView(out.buffer);
  out[2] = TYPE_CODES[type];
  out[3] = dims.length;
  dims.forEach((n, k) => view.setUint32(4 + 4 * k, n, false));
  for (let i = 0; i < count; i++) {
    const v = values[i];
    const at = header + i * t.bytes;
    if (type === 'uint8') view.setUint8(at, v);
    else if (type === 'int8') view.setInt8(at, v);
    else if (type === 'int16') view.setInt16(at, v, false);
    else if (type === 'int32') view.setInt32(at, v, false);
    else if (type === 'float32') view.setFloat32(at, v, false);
    else view.setFloat64(at, v, false);
  }
  return out;
}

/**
 * Finds `base` (e.g. 'train-images-idx3-ubyte') in `dir`: the raw file, `base.gz`, or the
 * variant with a dot instead of the last dash ('train-images.idx3-ubyte', as some copies name it).
 * Throws QmoeInputError listing what was tried.
 */
export function findIdxFile(dir: string, base: string, option = '--data-dir'): string {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new QmoeInputError(option, dir, 'must be a directory holding the IDX files (e.g. /usr/share/datasets/fashion-mnist from Debian\'s dataset-fashion-mnist)');
  const dotted = base.replace(/-(idx\d-ubyte)$/, '.$1');
  const names = [base, `${base}.gz`, dotted, `${dotted}.gz`];
  for (const n of names) {
    const p = join(dir, n);
    if (existsSync(p)) return p;
  }
  throw new QmoeInputError(option, dir, `holds none of ${names.join(', ')}`);
}

/** Images (n x rows x cols, uint8) and labels (n) of one split of an MNIST-format data set. */
export interface IdxImages {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  /** Pixels per image (rows x cols). */
  pixels: number;
}

/**
 * Reads `<split>-images-idx3-ubyte[.gz]` and `<split>-labels-idx1-ubyte[.gz]` from `dir`, where
 * split is 'train' or 't10k' (the MNIST file names), and checks they agree.
 */
export function readIdxImages(dir: string, split: 'train' | 't10k', option = '--data-dir'): IdxImages {
  const imgPath = findIdxFile(dir, `${split}-images-idx3-ubyte`, option);
  const lblPath = findIdxFile(dir, `${split}-labels-idx1-ubyte`, option);
  const img = readIdx(imgPath);
  const lbl = readIdx(lblPath);
  if (img.type !== 'uint8' || img.dims.length !== 3) throw new QmoeInputError(imgPath, `${img.type} [${img.dims.join(', ')}]`, 'must be uint8 images, dimensions [n, rows, cols]');
  if (lbl.type !== 'uint8' || lbl.dims.length !== 1) throw new QmoeInputError(lblPath, `${lbl.type} [${lbl.dims.join(', ')}]`, 'must be uint8 labels, dimensions [n]');
  if (lbl.dims[0] !== img.dims[0]) throw new QmoeInputError(`${lblPath} count`, lbl.dims[0], `must equal the image count of ${imgPath} (${img.dims[0]})`);
  return { images: img.data as Uint8Array, labels: lbl.data as Uint8Array, count: img.dims[0], pixels: img.dims[1] * img.dims[2] };
}
