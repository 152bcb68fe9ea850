import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeIdx, findIdxFile, parseIdx, readIdx, readIdxImages } from '../../src/data/idx.js';
import { QmoeInputError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'qmoe-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('IDX reader', () => {
  it('parses a hand-made uint8 file byte by byte', () => {
    // magic 00 00 08 03, dims 2 x 2 x 3, then 12 pixels.
    const bytes = Uint8Array.from([0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
    const a = parseIdx(bytes);
    expect(a.type).toBe('uint8');
    expect(a.dims).toEqual([2, 2, 3]);
    expect(Array.from(a.data)).toEqual([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
  });

  it('reads big-endian int32, int16, int8 and float types', () => {
    const i32 = parseIdx(Uint8Array.from([0, 0, 0x0c, 1, 0, 0, 0, 2, 0x00, 0x00, 0x01, 0x02, 0xff, 0xff, 0xff, 0xfe]));
    expect(Array.from(i32.data)).toEqual([258, -2]);
    const i16 = parseIdx(Uint8Array.from([0, 0, 0x0b, 1, 0, 0, 0, 1, 0x80, 0x00]));
    expect(Array.from(i16.data)).toEqual([-32768]);
    const i8 = parseIdx(Uint8Array.from([0, 0, 0x09, 1, 0, 0, 0, 2, 0x7f, 0x80]));
    expect(Array.from(i8.data)).toEqual([127, -128]);
    const f32 = parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0x00, 0x00]));
    expect(Array.from(f32.data)).toEqual([1.5]);
    const f64 = parseIdx(encodeIdx('float64', [3], [Math.PI, -0.25, 1e300]));
    expect(Array.from(f64.data)).toEqual([Math.PI, -0.25, 1e300]);
  });

  it('reads gzip and raw files from disk alike, whatever their names', () => {
    const bytes = encodeIdx('uint8', [3, 2, 2], [...Array(12).keys()]);
    writeFileSync(join(dir, 'raw.idx'), bytes);
    writeFileSync(join(dir, 'z.idx'), gzipSync(bytes));
    expect(readIdx(join(dir, 'raw.idx'))).toEqual(readIdx(join(dir, 'z.idx')));
    expect(readIdx(join(dir, 'z.idx')).dims).toEqual([3, 2, 2]);
  });

  it('rejects bad magic, unknown types, truncated data and missing files with named errors', () => {
    expect(() => parseIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]))).toThrow(/not an IDX file/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x07, 1, 0, 0, 0, 0]))).toThrow(/type byte/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 3, 1, 2]))).toThrow(/must be 11 bytes/);
    expect(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 0, 0]))).toThrow(/gzip/);
    expect(() => readIdx(join(dir, 'nope'))).toThrow(QmoeInputError);
    expect(() => findIdxFile(join(dir, 'no-dir'), 'train-images-idx3-ubyte')).toThrow(/--data-dir/);
    expect(() => findIdxFile(dir, 'train-images-idx3-ubyte')).toThrow(/holds none of train-images-idx3-ubyte, train-images-idx3-ubyte.gz/);
  });

  it('pairs images with labels from a directory (.gz or raw) and checks the counts agree', () => {
    const d = mkdtempSync(join(dir, 'set-'));
    writeFileSync(join(d, 'train-images-idx3-ubyte.gz'), gzipSync(encodeIdx('uint8', [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])));
    writeFileSync(join(d, 'train-labels-idx1-ubyte'), encodeIdx('uint8', [2], [9, 3]));
    const s = readIdxImages(d, 'train');
    expect(s.count).toBe(2);
    expect(s.pixels).toBe(4);
    expect(Array.from(s.labels)).toEqual([9, 3]);
    expect(Array.from(s.images.subarray(4))).toEqual([5, 6, 7, 8]);
    writeFileSync(join(d, 't10k-images-idx3-ubyte'), encodeIdx('uint8', [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), encodeIdx('uint8', [3], [1, 2, 3]));
    expect(() => readIdxImages(d, 't10k')).toThrow(/must equal the image count/);
  });
});
