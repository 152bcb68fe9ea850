// The classical part of a mixture-of-experts model, one invocation per sample (src/moe/spec.ts):
// router probabilities P (linear or MLP router from x; quantum routers from the circuit's
// outputs), the gate g of P (src/moe/routing.ts: dense g = P, top-k, or route shots), expert
// logits W_e x + b_e of the experts the gate keeps, mixture y = sum_e g_e logits_e, softmax
// cross-entropy.
//
// MODE_TRAIN: writes the sample's gradient of its loss with respect to every classical
//   parameter (flat indices CIRCUIT_PARAMS.. of the parameter vector) into grads[row, 0..G-2),
//   then its loss and correctness (1 or 0) into columns G-2 and G-1; for quantum routers also
//   dL/d(circuit output) into upstream[row, ..]. With the balance loss or route shots it reads
//   the batch sums of MODE_STATS (batch[..]) and, for shots, the row's draw (route_rows).
// MODE_STATS: writes route_rows[row] = (P_e, d_e, loss): the router probabilities, the dispatch
//   numerators (dense: 1 on the argmax; top-k: 1 on each kept expert; shots: the counts n_e; the
//   dispatch is d_e / DISPATCH_DENOMINATOR) and the cross-entropy; the host sums them over the
//   batch into batch[0 .. 2E] before the train pass (the balance loss's f_e and Pbar_e, the shots'
//   baseline).
// MODE_EVALUATE: writes only the loss and correctness columns.
// MODE_PREDICT: writes softmax(y) into probs[row, 0..CLASSES).
//
// Route shots draw on the GPU with the host's generator (src/data/rng.ts: Mulberry32, next() from
// two 32-bit outputs), so a seed gives the CPU engine's draws: row r of a dispatch starts
// 2 * SHOTS * r outputs after the state batch[2E + 1] that the host sets per dispatch.
//
// Parameter layout (flat vector): [circuit angles][router: linear V (E x F), c (E) | MLP layers
// W (out x in), b (out) | code adapter A (E x n), a (E)][experts: W_e (K x F), b_e (K), e = 0..E-1].

override FEATURES: u32;
override CLASSES: u32;
override EXPERTS: u32;
override ROUTER: u32;           // ROUTER_LINEAR, ROUTER_MLP, ROUTER_PAPER (quantum, P = circuit output), ROUTER_CODE (quantum, <Z> -> adapter -> softmax)
override ROUTER_INPUTS: u32;    // circuit outputs per row (quantum), else 0
override CIRCUIT_PARAMS: u32;   // circuit angles at the start of the parameter vector
override EXPERTS_OFFSET: u32;   // flat index of the first expert parameter
override MODE: u32;             // MODE_TRAIN, MODE_EVALUATE or MODE_PREDICT
override HIDDEN_LAYERS: u32 = 0u;
override H0: u32 = 0u;
override H1: u32 = 0u;
override H2: u32 = 0u;
override H3: u32 = 0u;
override GATE: u32 = 0u;        // GATE_DENSE, GATE_TOP_K or GATE_SHOTS
override TOP_K: u32 = 0u;       // GATE_TOP_K: experts kept per row
override SHOTS: u32 = 0u;       // GATE_SHOTS: draws per row
override BALANCE: f32 = 0.0;    // weight W of the load-balancing loss (0: none)

const MAX_UNITS: u32 = 512u;    // inputs + hidden units + router logits of the MLP, checked on the host
const MAX_SMALL: u32 = 64u;     // experts, classes and circuit outputs, checked on the host

#struct Meta

#include "gen/ops.wgsl"

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read> router_in: array<f32>;
@group(0) @binding(4) var<storage, read_write> grads: array<f32>;
@group(0) @binding(5) var<storage, read_write> upstream: array<f32>;
@group(0) @binding(6) var<uniform> meta_: Meta;
@group(0) @binding(7) var<storage, read_write> route_rows: array<f32>;   // MODE_STATS rows: P (E), d (E), loss
@group(0) @binding(8) var<storage, read> batch: array<u32>;              // f32 bits of their column sums (2E + 1), then the draw state (u32: bits kept as they are)

const RNG_STEP: u32 = 0x6d2b79f5u;

// One 32-bit output of Mulberry32 (src/data/rng.ts Rng.uint32; u32 arithmetic wraps as Math.imul).
fn rng_u32(state: ptr<function, u32>) -> u32 {
  *state = *state + RNG_STEP;
  var t = *state;
  t = (t ^ (t >> 15u)) * (t | 1u);
  t = t ^ (t + (t ^ (t >> 7u)) * (t | 61u));
  return t ^ (t >> 14u);
}

// Rng.next() = (a * 2^26 + b) / 2^53 with a = 27 and b = 26 random bits, rounded to f32 (below 1).
fn rng_next(state: ptr<function, u32>) -> f32 {
  let a = rng_u32(state) >> 5u;
  let b = rng_u32(state) >> 6u;
  return f32(a >> 3u) * 5.9604644775390625e-8 + f32(((a & 7u) << 26u) | b) * 1.1102230246251565e-16;
}

// The divisor of the dispatch numerators d_e: 1 (dense), K (top-k) or S (shots).
// (max(.., 1): the other gates' zero TOP_K or SHOTS must not fold into a division by zero.)
fn dispatch_denominator() -> f32 {
  if (GATE == GATE_TOP_K) { return f32(max(TOP_K, 1u)); }
  if (GATE == GATE_SHOTS) { return f32(max(SHOTS, 1u)); }
  return 1.0;
}

fn width(l: u32) -> u32 {   // units of MLP layer l: 0 = inputs, 1..HIDDEN_LAYERS hidden, then EXPERTS
  if (l == 0u) { return FEATURES; }
  if (l > HIDDEN_LAYERS) { return EXPERTS; }
  var h = array<u32, 4>(H0, H1, H2, H3);
  return h[l - 1u];
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = (wg.x + wg.y * meta_.groups_x) * 64u + lid;
  if (r >= meta_.rows) { return; }
  let xb = r * FEATURES;
  let gb = r * meta_.grad_width;

  // Router logits z (softmax routers) or probabilities (paper).
  var act: array<f32, MAX_UNITS>;   // MLP: every layer's outputs, layer after layer
  var p: array<f32, MAX_SMALL>;
  var z: array<f32, MAX_SMALL>;
  var zin: array<f32, MAX_SMALL>;   // circuit outputs
  var last = 0u;                    // offset of the router logits in act (MLP)
  if (ROUTER == ROUTER_LINEAR) {
    for (var e = 0u; e < EXPERTS; e++) {
      var acc = params[CIRCUIT_PARAMS + EXPERTS * FEATURES + e];
      for (var f = 0u; f < FEATURES; f++) { acc += params[CIRCUIT_PARAMS + e * FEATURES + f] * x[xb + f]; }
      z[e] = acc;
    }
  } else if (ROUTER == ROUTER_MLP) {
    for (var f = 0u; f < FEATURES; f++) { act[f] = x[xb + f]; }
    var pin = 0u;          // offset of the layer's inputs in act
    var w = CIRCUIT_PARAMS; // offset of the layer's weights in params
    for (var l = 0u; l <= HIDDEN_LAYERS; l++) {
      let nin = width(l);
      let nout = width(l + 1u);
      let pout = pin + nin;
      for (var o = 0u; o < nout; o++) {
        var acc = params[w + nout * nin + o];
        for (var i = 0u; i < nin; i++) { acc += params[w + o * nin + i] * act[pin + i]; }
        act[pout + o] = select(acc, max(acc, 0.0), l < HIDDEN_LAYERS);
      }
      w += nout * nin + nout;
      pin = pout;
    }
    last = pin;
    for (var e = 0u; e < EXPERTS; e++) { z[e] = act[last + e]; }
  } else {
    for (var i = 0u; i < ROUTER_INPUTS; i++) { zin[i] = router_in[r * ROUTER_INPUTS + i]; }
    if (ROUTER == ROUTER_PAPER) {
      for (var e = 0u; e < EXPERTS; e++) { p[e] = zin[e]; }
    } else {
      for (var e = 0u; e < EXPERTS; e++) {
        var acc = params[CIRCUIT_PARAMS + EXPERTS * ROUTER_INPUTS + e];
        for (var i = 0u; i < ROUTER_INPUTS; i++) { acc += params[CIRCUIT_PARAMS + e * ROUTER_INPUTS + i] * zin[i]; }
        z[e] = acc;
      }
    }
  }
  if (ROUTER != ROUTER_PAPER) {
    var zmax = z[0];
    for (var e = 1u; e < EXPERTS; e++) { zmax = max(zmax, z[e]); }
    var sum = 0.0;
    for (var e = 0u; e < EXPERTS; e++) { p[e] = exp(z[e] - zmax); sum += p[e]; }
    for (var e = 0u; e < EXPERTS; e++) { p[e] /= sum; }
  }

  // The gate (src/moe/routing.ts routeGate): weights g and dispatch numerators d.
  var g: array<f32, MAX_SMALL>;
  var d: array<f32, MAX_SMALL>;
  var norm = 1.0;                   // top-k: Z, the kept probabilities' sum
  let stride = 2u * EXPERTS + 1u;   // width of a route_rows row
  if (GATE == GATE_DENSE) {
    var top = 0u;
    for (var e = 0u; e < EXPERTS; e++) {
      g[e] = p[e];
      d[e] = 0.0;
      if (p[e] > p[top]) { top = e; }
    }
    d[top] = 1.0;
  } else if (GATE == GATE_TOP_K) {
    // The K largest, the lower index first on ties (selection in the order of the host's sort).
    for (var e = 0u; e < EXPERTS; e++) { g[e] = 0.0; d[e] = 0.0; }
    var z = 0.0;
    for (var k = 0u; k < TOP_K; k++) {
      var pick = EXPERTS;
      for (var e = 0u; e < EXPERTS; e++) {
        if (d[e] == 0.0 && (pick == EXPERTS || p[e] > p[pick])) { pick = e; }
      }
      d[pick] = 1.0;
      z += p[pick];
    }
    norm = z;
    // All-zero kept probabilities (underflow): the kept experts share the row equally.
    for (var e = 0u; e < EXPERTS; e++) {
      if (d[e] > 0.0) { g[e] = select(1.0 / dispatch_denominator(), p[e] / z, z > 0.0); }
    }
  } else {
    if (MODE == MODE_TRAIN) {
      // The draw of this row's MODE_STATS pass.
      for (var e = 0u; e < EXPERTS; e++) { d[e] = route_rows[r * stride + EXPERTS + e]; }
    } else {
      // SHOTS draws by the inverse CDF (routing.ts drawCounts; zero-probability experts are never drawn).
      var total = 0.0;
      var lastNonzero = 0u;
      for (var e = 0u; e < EXPERTS; e++) {
        d[e] = 0.0;
        total += p[e];
        if (p[e] > 0.0) { lastNonzero = e; }
      }
      var state = batch[stride] + 2u * SHOTS * r * RNG_STEP;
      for (var s = 0u; s < SHOTS; s++) {
        let u = rng_next(&state) * total;
        var c = 0.0;
        var e = 0u;
        for (; e < EXPERTS; e++) {
          c += p[e];
          if (c > u && p[e] > 0.0) { break; }
        }
        d[select(lastNonzero, e, e < EXPERTS)] += 1.0;
      }
    }
    for (var e = 0u; e < EXPERTS; e++) { g[e] = d[e] / dispatch_denominator(); }
  }

  // Experts (those the gate keeps; dense: all) and mixture.
  var y: array<f32, MAX_SMALL>;
  for (var k = 0u; k < CLASSES; k++) { y[k] = 0.0; }
  for (var e = 0u; e < EXPERTS; e++) {
    if (GATE != GATE_DENSE && d[e] == 0.0) { continue; }
    let base = EXPERTS_OFFSET + e * (CLASSES * FEATURES + CLASSES);
    for (var k = 0u; k < CLASSES; k++) {
      var logit = params[base + CLASSES * FEATURES + k];
      for (var f = 0u; f < FEATURES; f++) { logit += params[base + k * FEATURES + f] * x[xb + f]; }
      y[k] += g[e] * logit;
    }
  }
  var ymax = y[0];
  var best = 0u;
  for (var k = 1u; k < CLASSES; k++) {
    if (y[k] > ymax) { ymax = y[k]; best = k; }
  }
  var sum = 0.0;
  for (var k = 0u; k < CLASSES; k++) { sum += exp(y[k] - ymax); }
  let label = labels[r];
  if (MODE == MODE_PREDICT) {
    for (var k = 0u; k < CLASSES; k++) { grads[r * CLASSES + k] = exp(y[k] - ymax) / sum; }
    return;
  }
  let loss = log(sum) + ymax - y[label];
  if (MODE == MODE_STATS) {
    for (var e = 0u; e < EXPERTS; e++) {
      route_rows[r * stride + e] = p[e];
      route_rows[r * stride + EXPERTS + e] = d[e];
    }
    route_rows[r * stride + 2u * EXPERTS] = loss;
    return;
  }
  grads[gb + meta_.grad_width - 2u] = loss;
  grads[gb + meta_.grad_width - 1u] = select(0.0, 1.0, best == label);
  if (MODE == MODE_EVALUATE) { return; }

  // Backward: dy = softmax(y) - onehot(label).
  var dy: array<f32, MAX_SMALL>;
  for (var k = 0u; k < CLASSES; k++) { dy[k] = exp(y[k] - ymax) / sum - select(0.0, 1.0, k == label); }
  var dp: array<f32, MAX_SMALL>;
  for (var e = 0u; e < EXPERTS; e++) {
    let base = EXPERTS_OFFSET + e * (CLASSES * FEATURES + CLASSES);
    let gbase = gb + base - CIRCUIT_PARAMS;
    let runs = GATE == GATE_DENSE || d[e] > 0.0;   // an expert the gate drops: zero gradient, dg_e = 0
    var acc = 0.0;
    for (var k = 0u; k < CLASSES; k++) {
      var logit = params[base + CLASSES * FEATURES + k];
      for (var f = 0u; f < FEATURES; f++) {
        logit += params[base + k * FEATURES + f] * x[xb + f];
        grads[gbase + k * FEATURES + f] = g[e] * dy[k] * x[xb + f];
      }
      grads[gbase + CLASSES * FEATURES + k] = g[e] * dy[k];
      acc += dy[k] * logit;
    }
    dp[e] = select(0.0, acc, runs);
  }
  // dL/dg -> dL/dP through the gate (routing.ts gateBackward), per row (the host divides the batch's sum by B).
  if (GATE == GATE_TOP_K) {
    // dP_j = (dg_j - sum_e g_e dg_e) / Z on the kept experts, else 0 (and 0 for a zero Z).
    var dot = 0.0;
    for (var e = 0u; e < EXPERTS; e++) { dot += g[e] * dp[e]; }
    for (var e = 0u; e < EXPERTS; e++) { dp[e] = select(0.0, (dp[e] - dot) / norm, d[e] > 0.0 && norm > 0.0); }
  } else if (GATE == GATE_SHOTS) {
    // Score function: (L_r - b_r) n_e / P_e, the baseline b_r the mean loss of the batch's other rows.
    let own = route_rows[r * stride + 2u * EXPERTS];
    let baseline = select(0.0, (bitcast<f32>(batch[2u * EXPERTS]) - own) / f32(meta_.rows - 1u), meta_.rows > 1u);
    for (var e = 0u; e < EXPERTS; e++) { dp[e] = select(0.0, (own - baseline) * d[e] / p[e], d[e] > 0.0); }
  }
  if (BALANCE > 0.0) {
    // Switch balance loss (balance.ts): d/dP[r, e] of W E sum_e f_e Pbar_e is W E f_e / B, f_e = sum_r d / (D B).
    let f = 1.0 / (dispatch_denominator() * f32(meta_.rows));
    for (var e = 0u; e < EXPERTS; e++) { dp[e] += BALANCE * f32(EXPERTS) * bitcast<f32>(batch[EXPERTS + e]) * f; }
  }
  if (ROUTER == ROUTER_PAPER) {
    for (var e = 0u; e < EXPERTS; e++) { upstream[r * ROUTER_INPUTS + e] = dp[e]; }
    return;
  }
  // Softmax router: dz_e = p_e (dp_e - sum_j p_j dp_j).
  var mean = 0.0;
  for (var e = 0u; e < EXPERTS; e++) { mean += p[e] * dp[e]; }
  var dz: array<f32, MAX_SMALL>;
  for (var e = 0u; e < EXPERTS; e++) { dz[e] = p[e] * (dp[e] - mean); }
  let rb = gb;   // router parameters start right after the circuit angles
  if (ROUTER == ROUTER_LINEAR) {
    for (var e = 0u; e < EXPERTS; e++) {
      for (var f = 0u; f < FEATURES; f++) { grads[rb + e * FEATURES + f] = dz[e] * x[xb + f]; }
      grads[rb + EXPERTS * FEATURES + e] = dz[e];
    }
    return;
  }
  if (ROUTER == ROUTER_CODE) {
    for (var i = 0u; i < ROUTER_INPUTS; i++) {
      var acc = 0.0;
      for (var e = 0u; e < EXPERTS; e++) { acc += dz[e] * params[CIRCUIT_PARAMS + e * ROUTER_INPUTS + i]; }
      upstream[r * ROUTER_INPUTS + i] = acc;
    }
    for (var e = 0u; e < EXPERTS; e++) {
      for (var i = 0u; i < ROUTER_INPUTS; i++) { grads[rb + e * ROUTER_INPUTS + i] = dz[e] * zin[i]; }
      grads[rb + EXPERTS * ROUTER_INPUTS + e] = dz[e];
    }
    return;
  }
  // MLP backward, last layer first; delta holds dL/d(pre-activation) of the current layer.
  var delta: array<f32, MAX_UNITS>;
  for (var e = 0u; e < EXPERTS; e++) { delta[last + e] = dz[e]; }
  var w_end = EXPERTS_OFFSET;   // end of the current layer's parameters
  var pout = last;
  for (var step = 0u; step <= HIDDEN_LAYERS; step++) {
    let l = HIDDEN_LAYERS - step;
    let nin = width(l);
    let nout = width(l + 1u);
    let pin = pout - nin;
    let w = w_end - (nout * nin + nout);
    for (var o = 0u; o < nout; o++) {
      let d = delta[pout + o];
      for (var i = 0u; i < nin; i++) { grads[gb + w - CIRCUIT_PARAMS + o * nin + i] = d * act[pin + i]; }
      grads[gb + w - CIRCUIT_PARAMS + nout * nin + o] = d;
    }
    if (l > 0u) {
      for (var i = 0u; i < nin; i++) {
        var acc = 0.0;
        for (var o = 0u; o < nout; o++) { acc += params[w + o * nin + i] * delta[pout + o]; }
        delta[pin + i] = select(0.0, acc, act[pin + i] > 0.0);
      }
    }
    w_end = w;
    pout = pin;
  }
}
