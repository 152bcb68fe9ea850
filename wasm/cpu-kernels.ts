// AssemblyScript source of the fast CPU engine's WebAssembly kernels (float32 states, SIMD).
// Built by wasm/build.mjs into src/cpu/wasm-binary.ts; the JavaScript versions of the same
// kernels are in src/cpu/dense.ts. Layout (src/cpu/layout.ts): amplitude k of sample b at
// element k * S + b; `o*` are element offsets of a group's amplitude rows; `m` points at the
// group's matrix, row-major f32 (complex: L*L real parts, then L*L imaginary parts).

@inline function at(base: usize, o: i32, b: i32): usize {
  return base + ((<usize>(o + b)) << 2);
}

@inline function sp(m: usize, i: i32): v128 {
  return v128.load32_splat(m + (<usize>i << 2));
}

@inline function f(m: usize, i: i32): f32 {
  return load<f32>(m + (<usize>i << 2));
}

export function real1(a: usize, S: i32, o0: i32, o1: i32, m: usize): void {
  const m00 = sp(m, 0), m01 = sp(m, 1), m10 = sp(m, 2), m11 = sp(m, 3);
  let b = 0;
  for (; b + 4 <= S; b += 4) {
    const x0 = v128.load(at(a, o0, b)), x1 = v128.load(at(a, o1, b));
    v128.store(at(a, o0, b), f32x4.add(f32x4.mul(m00, x0), f32x4.mul(m01, x1)));
    v128.store(at(a, o1, b), f32x4.add(f32x4.mul(m10, x0), f32x4.mul(m11, x1)));
  }
  for (; b < S; b++) {
    const x0 = load<f32>(at(a, o0, b)), x1 = load<f32>(at(a, o1, b));
    store<f32>(at(a, o0, b), f(m, 0) * x0 + f(m, 1) * x1);
    store<f32>(at(a, o1, b), f(m, 2) * x0 + f(m, 3) * x1);
  }
}

export function real2(a: usize, S: i32, o0: i32, o1: i32, o2: i32, o3: i32, m: usize): void {
  const m00 = sp(m, 0), m01 = sp(m, 1), m02 = sp(m, 2), m03 = sp(m, 3);
  const m10 = sp(m, 4), m11 = sp(m, 5), m12 = sp(m, 6), m13 = sp(m, 7);
  const m20 = sp(m, 8), m21 = sp(m, 9), m22 = sp(m, 10), m23 = sp(m, 11);
  const m30 = sp(m, 12), m31 = sp(m, 13), m32 = sp(m, 14), m33 = sp(m, 15);
  let b = 0;
  for (; b + 4 <= S; b += 4) {
    const x0 = v128.load(at(a, o0, b)), x1 = v128.load(at(a, o1, b)), x2 = v128.load(at(a, o2, b)), x3 = v128.load(at(a, o3, b));
    v128.store(at(a, o0, b), f32x4.add(f32x4.add(f32x4.mul(m00, x0), f32x4.mul(m01, x1)), f32x4.add(f32x4.mul(m02, x2), f32x4.mul(m03, x3))));
    v128.store(at(a, o1, b), f32x4.add(f32x4.add(f32x4.mul(m10, x0), f32x4.mul(m11, x1)), f32x4.add(f32x4.mul(m12, x2), f32x4.mul(m13, x3))));
    v128.store(at(a, o2, b), f32x4.add(f32x4.add(f32x4.mul(m20, x0), f32x4.mul(m21, x1)), f32x4.add(f32x4.mul(m22, x2), f32x4.mul(m23, x3))));
    v128.store(at(a, o3, b), f32x4.add(f32x4.add(f32x4.mul(m30, x0), f32x4.mul(m31, x1)), f32x4.add(f32x4.mul(m32, x2), f32x4.mul(m33, x3))));
  }
  for (; b < S; b++) {
    const x0 = load<f32>(at(a, o0, b)), x1 = load<f32>(at(a, o1, b)), x2 = load<f32>(at(a, o2, b)), x3 = load<f32>(at(a, o3, b));
    store<f32>(at(a, o0, b), f(m, 0) * x0 + f(m, 1) * x1 + f(m, 2) * x2 + f(m, 3) * x3);
    store<f32>(at(a, o1, b), f(m, 4) * x0 + f(m, 5) * x1 + f(m, 6) * x2 + f(m, 7) * x3);
    store<f32>(at(a, o2, b), f(m, 8) * x0 + f(m, 9) * x1 + f(m, 10) * x2 + f(m, 11) * x3);
    store<f32>(at(a, o3, b), f(m, 12) * x0 + f(m, 13) * x1 + f(m, 14) * x2 + f(m, 15) * x3);
  }
}

/** Complex L x L (L = 2 or 4) matrix on L rows of re and im planes. */
@inline function complexRows(re: usize, im: usize, S: i32, o: usize, L: i32, m: usize): void {
  const LL = L * L;
  let b = 0;
  for (; b + 4 <= S; b += 4) {
    // Load the group's L amplitudes (4 samples each), then write the L rows of m x.
    let xr0 = f32x4.splat(0), xr1 = f32x4.splat(0), xr2 = f32x4.splat(0), xr3 = f32x4.splat(0);
    let xi0 = f32x4.splat(0), xi1 = f32x4.splat(0), xi2 = f32x4.splat(0), xi3 = f32x4.splat(0);
    const r0 = load<i32>(o), r1 = load<i32>(o, 4);
    xr0 = v128.load(at(re, r0, b)); xi0 = v128.load(at(im, r0, b));
    xr1 = v128.load(at(re, r1, b)); xi1 = v128.load(at(im, r1, b));
    let r2 = 0, r3 = 0;
    if (L == 4) {
      r2 = load<i32>(o, 8); r3 = load<i32>(o, 12);
      xr2 = v128.load(at(re, r2, b)); xi2 = v128.load(at(im, r2, b));
      xr3 = v128.load(at(re, r3, b)); xi3 = v128.load(at(im, r3, b));
    }
    for (let r = 0; r < L; r++) {
      const ar0 = sp(m, r * L), ai0 = sp(m, LL + r * L), ar1 = sp(m, r * L + 1), ai1 = sp(m, LL + r * L + 1);
      let yr = f32x4.sub(f32x4.add(f32x4.mul(ar0, xr0), f32x4.mul(ar1, xr1)), f32x4.add(f32x4.mul(ai0, xi0), f32x4.mul(ai1, xi1)));
      let yi = f32x4.add(f32x4.add(f32x4.mul(ar0, xi0), f32x4.mul(ar1, xi1)), f32x4.add(f32x4.mul(ai0, xr0), f32x4.mul(ai1, xr1)));
      if (L == 4) {
        const ar2 = sp(m, r * L + 2), ai2 = sp(m, LL + r * L + 2), ar3 = sp(m, r * L + 3), ai3 = sp(m, LL + r * L + 3);
        yr = f32x4.add(yr, f32x4.sub(f32x4.add(f32x4.mul(ar2, xr2), f32x4.mul(ar3, xr3)), f32x4.add(f32x4.mul(ai2, xi2), f32x4.mul(ai3, xi3))));
        yi = f32x4.add(yi, f32x4.add(f32x4.add(f32x4.mul(ar2, xi2), f32x4.mul(ar3, xi3)), f32x4.add(f32x4.mul(ai2, xr2), f32x4.mul(ai3, xr3))));
      }
      const row = load<i32>(o + (<usize>r << 2));
      v128.store(at(re, row, b), yr);
      v128.store(at(im, row, b), yi);
    }
  }
  for (; b < S; b++) {
    const t = o + 64; // scratch for the tail: L re, L im (f32) after the offsets
    for (let j = 0; j < L; j++) {
      const row = load<i32>(o + (<usize>j << 2));
      store<f32>(t + (<usize>j << 2), load<f32>(at(re, row, b)));
      store<f32>(t + (<usize>(j + L) << 2), load<f32>(at(im, row, b)));
    }
    for (let r = 0; r < L; r++) {
      let yr: f32 = 0, yi: f32 = 0;
      for (let c = 0; c < L; c++) {
        const ar = f(m, r * L + c), ai = f(m, LL + r * L + c);
        const xr = load<f32>(t + (<usize>c << 2)), xi = load<f32>(t + (<usize>(c + L) << 2));
        yr += ar * xr - ai * xi;
        yi += ar * xi + ai * xr;
      }
      const row = load<i32>(o + (<usize>r << 2));
      store<f32>(at(re, row, b), yr);
      store<f32>(at(im, row, b), yi);
    }
  }
}

/** o points at the L row offsets (i32), followed by 64 bytes of scratch. */
export function complex1(re: usize, im: usize, S: i32, o: usize, m: usize): void {
  complexRows(re, im, S, o, 2, m);
}

export function complex2(re: usize, im: usize, S: i32, o: usize, m: usize): void {
  complexRows(re, im, S, o, 4, m);
}

@inline function hsum(v: v128): f64 {
  return <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1) + <f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3);
}

/**
 * The adjoint sweep's dense pass, real, 2 qubits: p = h psi (h = B^T), C[r][c] = sum_b p_r l_c
 * (written as f64 to `out`), psi = d p, lambda = d (h lambda) when `undo`.
 */
export function acc2r(a: usize, l: usize, S: i32, o0: i32, o1: i32, o2: i32, o3: i32, h: usize, d: usize, undo: i32, out: usize): void {
  const h00 = sp(h, 0), h01 = sp(h, 1), h02 = sp(h, 2), h03 = sp(h, 3);
  const h10 = sp(h, 4), h11 = sp(h, 5), h12 = sp(h, 6), h13 = sp(h, 7);
  const h20 = sp(h, 8), h21 = sp(h, 9), h22 = sp(h, 10), h23 = sp(h, 11);
  const h30 = sp(h, 12), h31 = sp(h, 13), h32 = sp(h, 14), h33 = sp(h, 15);
  const d0 = sp(d, 0), d1 = sp(d, 1), d2 = sp(d, 2), d3 = sp(d, 3);
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0), c23 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0), c32 = f32x4.splat(0), c33 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= S; b += 4) {
    const x0 = v128.load(at(a, o0, b)), x1 = v128.load(at(a, o1, b)), x2 = v128.load(at(a, o2, b)), x3 = v128.load(at(a, o3, b));
    const l0 = v128.load(at(l, o0, b)), l1 = v128.load(at(l, o1, b)), l2 = v128.load(at(l, o2, b)), l3 = v128.load(at(l, o3, b));
    const p0 = f32x4.add(f32x4.add(f32x4.mul(h00, x0), f32x4.mul(h01, x1)), f32x4.add(f32x4.mul(h02, x2), f32x4.mul(h03, x3)));
    const p1 = f32x4.add(f32x4.add(f32x4.mul(h10, x0), f32x4.mul(h11, x1)), f32x4.add(f32x4.mul(h12, x2), f32x4.mul(h13, x3)));
    const p2 = f32x4.add(f32x4.add(f32x4.mul(h20, x0), f32x4.mul(h21, x1)), f32x4.add(f32x4.mul(h22, x2), f32x4.mul(h23, x3)));
    const p3 = f32x4.add(f32x4.add(f32x4.mul(h30, x0), f32x4.mul(h31, x1)), f32x4.add(f32x4.mul(h32, x2), f32x4.mul(h33, x3)));
    c00 = f32x4.add(c00, f32x4.mul(p0, l0)); c01 = f32x4.add(c01, f32x4.mul(p0, l1)); c02 = f32x4.add(c02, f32x4.mul(p0, l2)); c03 = f32x4.add(c03, f32x4.mul(p0, l3));
    c10 = f32x4.add(c10, f32x4.mul(p1, l0)); c11 = f32x4.add(c11, f32x4.mul(p1, l1)); c12 = f32x4.add(c12, f32x4.mul(p1, l2)); c13 = f32x4.add(c13, f32x4.mul(p1, l3));
    c20 = f32x4.add(c20, f32x4.mul(p2, l0)); c21 = f32x4.add(c21, f32x4.mul(p2, l1)); c22 = f32x4.add(c22, f32x4.mul(p2, l2)); c23 = f32x4.add(c23, f32x4.mul(p2, l3));
    c30 = f32x4.add(c30, f32x4.mul(p3, l0)); c31 = f32x4.add(c31, f32x4.mul(p3, l1)); c32 = f32x4.add(c32, f32x4.mul(p3, l2)); c33 = f32x4.add(c33, f32x4.mul(p3, l3));
    v128.store(at(a, o0, b), f32x4.mul(d0, p0));
    v128.store(at(a, o1, b), f32x4.mul(d1, p1));
    v128.store(at(a, o2, b), f32x4.mul(d2, p2));
    v128.store(at(a, o3, b), f32x4.mul(d3, p3));
    if (undo) {
      v128.store(at(l, o0, b), f32x4.mul(d0, f32x4.add(f32x4.add(f32x4.mul(h00, l0), f32x4.mul(h01, l1)), f32x4.add(f32x4.mul(h02, l2), f32x4.mul(h03, l3)))));
      v128.store(at(l, o1, b), f32x4.mul(d1, f32x4.add(f32x4.add(f32x4.mul(h10, l0), f32x4.mul(h11, l1)), f32x4.add(f32x4.mul(h12, l2), f32x4.mul(h13, l3)))));
      v128.store(at(l, o2, b), f32x4.mul(d2, f32x4.add(f32x4.add(f32x4.mul(h20, l0), f32x4.mul(h21, l1)), f32x4.add(f32x4.mul(h22, l2), f32x4.mul(h23, l3)))));
      v128.store(at(l, o3, b), f32x4.mul(d3, f32x4.add(f32x4.add(f32x4.mul(h30, l0), f32x4.mul(h31, l1)), f32x4.add(f32x4.mul(h32, l2), f32x4.mul(h33, l3)))));
    }
  }
  let s00 = hsum(c00), s01 = hsum(c01), s02 = hsum(c02), s03 = hsum(c03);
  let s10 = hsum(c10), s11 = hsum(c11), s12 = hsum(c12), s13 = hsum(c13);
  let s20 = hsum(c20), s21 = hsum(c21), s22 = hsum(c22), s23 = hsum(c23);
  let s30 = hsum(c30), s31 = hsum(c31), s32 = hsum(c32), s33 = hsum(c33);
  for (; b < S; b++) {
    const x0 = load<f32>(at(a, o0, b)), x1 = load<f32>(at(a, o1, b)), x2 = load<f32>(at(a, o2, b)), x3 = load<f32>(at(a, o3, b));
    const l0 = load<f32>(at(l, o0, b)), l1 = load<f32>(at(l, o1, b)), l2 = load<f32>(at(l, o2, b)), l3 = load<f32>(at(l, o3, b));
    const p0 = f(h, 0) * x0 + f(h, 1) * x1 + f(h, 2) * x2 + f(h, 3) * x3;
    const p1 = f(h, 4) * x0 + f(h, 5) * x1 + f(h, 6) * x2 + f(h, 7) * x3;
    const p2 = f(h, 8) * x0 + f(h, 9) * x1 + f(h, 10) * x2 + f(h, 11) * x3;
    const p3 = f(h, 12) * x0 + f(h, 13) * x1 + f(h, 14) * x2 + f(h, 15) * x3;
    s00 += p0 * l0; s01 += p0 * l1; s02 += p0 * l2; s03 += p0 * l3;
    s10 += p1 * l0; s11 += p1 * l1; s12 += p1 * l2; s13 += p1 * l3;
    s20 += p2 * l0; s21 += p2 * l1; s22 += p2 * l2; s23 += p2 * l3;
    s30 += p3 * l0; s31 += p3 * l1; s32 += p3 * l2; s33 += p3 * l3;
    store<f32>(at(a, o0, b), f(d, 0) * p0);
    store<f32>(at(a, o1, b), f(d, 1) * p1);
    store<f32>(at(a, o2, b), f(d, 2) * p2);
    store<f32>(at(a, o3, b), f(d, 3) * p3);
    if (undo) {
      store<f32>(at(l, o0, b), f(d, 0) * (f(h, 0) * l0 + f(h, 1) * l1 + f(h, 2) * l2 + f(h, 3) * l3));
      store<f32>(at(l, o1, b), f(d, 1) * (f(h, 4) * l0 + f(h, 5) * l1 + f(h, 6) * l2 + f(h, 7) * l3));
      store<f32>(at(l, o2, b), f(d, 2) * (f(h, 8) * l0 + f(h, 9) * l1 + f(h, 10) * l2 + f(h, 11) * l3));
      store<f32>(at(l, o3, b), f(d, 3) * (f(h, 12) * l0 + f(h, 13) * l1 + f(h, 14) * l2 + f(h, 15) * l3));
    }
  }
  store<f64>(out, s00); store<f64>(out, s01, 8); store<f64>(out, s02, 16); store<f64>(out, s03, 24);
  store<f64>(out, s10, 32); store<f64>(out, s11, 40); store<f64>(out, s12, 48); store<f64>(out, s13, 56);
  store<f64>(out, s20, 64); store<f64>(out, s21, 72); store<f64>(out, s22, 80); store<f64>(out, s23, 88);
  store<f64>(out, s30, 96); store<f64>(out, s31, 104); store<f64>(out, s32, 112); store<f64>(out, s33, 120);
}

/** acc2r for one qubit. */
export function acc1r(a: usize, l: usize, S: i32, o0: i32, o1: i32, h: usize, d: usize, undo: i32, out: usize): void {
  const h00 = sp(h, 0), h01 = sp(h, 1), h10 = sp(h, 2), h11 = sp(h, 3);
  const d0 = sp(d, 0), d1 = sp(d, 1);
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= S; b += 4) {
    const x0 = v128.load(at(a, o0, b)), x1 = v128.load(at(a, o1, b));
    const l0 = v128.load(at(l, o0, b)), l1 = v128.load(at(l, o1, b));
    const p0 = f32x4.add(f32x4.mul(h00, x0), f32x4.mul(h01, x1));
    const p1 = f32x4.add(f32x4.mul(h10, x0), f32x4.mul(h11, x1));
    c00 = f32x4.add(c00, f32x4.mul(p0, l0)); c01 = f32x4.add(c01, f32x4.mul(p0, l1));
    c10 = f32x4.add(c10, f32x4.mul(p1, l0)); c11 = f32x4.add(c11, f32x4.mul(p1, l1));
    v128.store(at(a, o0, b), f32x4.mul(d0, p0));
    v128.store(at(a, o1, b), f32x4.mul(d1, p1));
    if (undo) {
      v128.store(at(l, o0, b), f32x4.mul(d0, f32x4.add(f32x4.mul(h00, l0), f32x4.mul(h01, l1))));
      v128.store(at(l, o1, b), f32x4.mul(d1, f32x4.add(f32x4.mul(h10, l0), f32x4.mul(h11, l1))));
    }
  }
  let s00 = hsum(c00), s01 = hsum(c01), s10 = hsum(c10), s11 = hsum(c11);
  for (; b < S; b++) {
    const x0 = load<f32>(at(a, o0, b)), x1 = load<f32>(at(a, o1, b));
    const l0 = load<f32>(at(l, o0, b)), l1 = load<f32>(at(l, o1, b));
    const p0 = f(h, 0) * x0 + f(h, 1) * x1;
    const p1 = f(h, 2) * x0 + f(h, 3) * x1;
    s00 += p0 * l0; s01 += p0 * l1; s10 += p1 * l0; s11 += p1 * l1;
    store<f32>(at(a, o0, b), f(d, 0) * p0);
    store<f32>(at(a, o1, b), f(d, 1) * p1);
    if (undo) {
      store<f32>(at(l, o0, b), f(d, 0) * (f(h, 0) * l0 + f(h, 1) * l1));
      store<f32>(at(l, o1, b), f(d, 1) * (f(h, 2) * l0 + f(h, 3) * l1));
    }
  }
  store<f64>(out, s00); store<f64>(out, s01, 8); store<f64>(out, s10, 16); store<f64>(out, s11, 24);
}
