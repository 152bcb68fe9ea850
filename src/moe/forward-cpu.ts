import type { Circuit } from '../circuit/types.js';
import { QmoeInputError, checkInt } from '../errors.js';
import type { Backend, CircuitOutput } from '../sim/backend.js';
import { CpuBackend } from '../sim/backend-cpu.js';
import { paramLayout, modelCircuit, readoutOf, routerOutput, routerWidths } from './models.js';
import type { ModelSpec, ParamLayout } from './spec.js';
import { Rng } from '../data/rng.js';
import { balanceLoss } from './balance.js';
import { expertCircuit, expertParamCount, quantumExpertsBackward, quantumExpertsForward, type QuantumExpertCache } from './quantum-experts.js';
import { gateBackward, gateKind, routeGate } from './routing.js';

/**
 * The models' math in float64 on the CPU: forward pass and the gradient of the mean
 * cross-entropy with respect to the whole flat parameter vector (layout in spec.ts / models.ts).
 * The quantum router's circuit runs on a Backend (CpuBackend by default): evaluate() gives the
 * expert probabilities (readouts blocks and parity) or <Z_i> (readout z, then the adapter), gradient() the vector-Jacobian product with the
 * upstream dL/dP or dL/d<Z>.
 *
 * Per row x with label t:
 *   P = router(x)                       (experts)
 *   z_e = W_e x + b_e                    (classes, per expert e)
 *   y = sum_e P_e z_e                    (classes)
 *   q = softmax(y), loss = -log q_t, prediction = argmax y (lowest index on ties)
 * Backward (for the mean over B rows): dy = (q - onehot(t)) / B, dW_e = P_e dy x^T, db_e = P_e dy,
 * dP_e = dy . z_e, then through the router (softmax: ds = P * (dP - P.dP); dense layers; ReLU with
 * derivative 0 at 0, as PyTorch).
 *
 * Beyond the study (spec.ts): the mixture weights are the gate g of P (routing.ts: dense g = P,
 * top-k, or measurement shots with the score-function gradient), only the experts the gate keeps
 * run, quantum experts (quantum-experts.ts) replace z_e = W_e x + b_e by circuits, and
 * spec.balance adds the load-balancing loss (balance.ts) to the trained objective; `loss` stays
 * the cross-entropy and `balance` reports the auxiliary term.
 */

export interface ForwardResult {
  rows: number;
  /** Router probabilities P(e | x): rows x experts. */
  route: Float64Array;
  /** Mixture outputs y (class logits): rows x classes. */
  logits: Float64Array;
  /** softmax(y): rows x classes. */
  probs: Float64Array;
  /** argmax of y per row. */
  predictions: Int32Array;
  /** Mixture weights g (rows x experts): route itself for dense routing. */
  gate: Float64Array;
  /** Fraction of each row dispatched to each expert (routing.ts Gate.dispatch). */
  dispatch: Float64Array;
}

export interface LossResult extends ForwardResult {
  /** Cross-entropy of every row. */
  losses: Float64Array;
  /** Mean cross-entropy. */
  loss: number;
  /** Rows whose prediction equals the label. */
  correct: number;
}

export interface GradientResult extends LossResult {
  /** d(mean loss + balance loss)/d(params): layout.total numbers. */
  grad: Float64Array;
  /** The batch's load-balancing loss (0 without spec.balance), already weighted. */
  balance: number;
}

export interface CpuModelOptions {
  /** Seed of the routing draws (spec.routeShots); default 0. */
  routeSeed?: number;
  /**
   * Runs the quantum experts' circuit here instead of on the router's backend (a NoisyBackend with
   * the experts' own channels under gate noise); disposed with the model when it owns its backend.
   */
  expertBackend?: Backend;
}

export interface GradientOptions {
  /** A given routing draw for spec.routeShots (counts, rows x experts) instead of a fresh one. */
  draw?: Int32Array;
}

/** What the router's forward pass leaves for its backward pass. */
interface RouterCache {
  /** Activations of the dense layers, input first (classical routers and the code adapter's input). */
  acts: Float64Array[];
  /** Circuit outputs (quantum). */
  circuitOut?: Float64Array;
}

export class CpuModel {
  readonly spec: ModelSpec;
  readonly layout: ParamLayout;
  readonly circuit: Circuit | undefined;
  readonly output: CircuitOutput | undefined;
  /** Each quantum expert's circuit (inputs: features, then the expert's angles). */
  readonly expertCircuit: Circuit | undefined;
  private readonly rng: Rng;
  private readonly backend: Backend;
  private readonly expertBackend: Backend;
  private readonly widths: number[];
  private readonly ownBackend: boolean;

  /** `ownBackend`: dispose() disposes `backend` too (always for the default CpuBackend). */
  constructor(spec: ModelSpec, backend?: Backend, ownBackend = false, options: CpuModelOptions = {}) {
    this.spec = spec;
    this.rng = new Rng(options.routeSeed ?? 0);
    if (spec.expertsKind === 'quantum') this.expertCircuit = expertCircuit(spec);
    this.layout = paramLayout(spec);
    this.widths = routerWidths(spec);
    this.ownBackend = backend === undefined || ownBackend;
    this.backend = backend ?? new CpuBackend();
    this.expertBackend = options.expertBackend ?? this.backend;
    if (spec.router === 'quantum') {
      this.circuit = modelCircuit(spec);
      this.output = routerOutput(spec);
    }
  }

  dispose(): void {
    if (!this.ownBackend) return;
    this.backend.dispose();
    if (this.expertBackend !== this.backend) this.expertBackend.dispose();
  }

  private checkParams(params: ArrayLike<number>): void {
    if (!params || params.length !== this.layout.total) {
      throw new QmoeInputError('params.length', params?.length, `must equal the model's parameter count ${this.layout.total}`);
    }
  }

  private checkX(x: ArrayLike<number>, rows: number): void {
    checkInt('rows', rows, 1, 1 << 26);
    if (!x || x.length !== rows * this.spec.features) {
      throw new QmoeInputError('x.length', x?.length, `must equal rows (${rows}) x features (${this.spec.features})`);
    }
  }

  /** Router probabilities for `rows` rows of x (rows x experts). */
  private async routerForward(params: Float64Array, x: Float64Array, rows: number): Promise<{ route: Float64Array; cache: RouterCache }> {
    const E = this.spec.experts;
    const cache: RouterCache = { acts: [] };
    let input: Float64Array;
    let at: number;
    if (this.circuit) {
      const out = (await this.backend.evaluate(this.circuit, { rows, features: x, params: params.subarray(0, this.layout.circuit) }, this.output!)) as Float64Array;
      cache.circuitOut = Float64Array.from(out);
      if (readoutOf(this.spec) !== 'z') return { route: cache.circuitOut, cache };
      input = cache.circuitOut;
      at = this.layout.circuit;
    } else {
      input = x;
      at = 0;
    }
    // Dense layers: widths[0] -> ... -> widths[last] = experts, ReLU between, softmax at the end.
    const w = this.widths;
    let act = input;
    cache.acts.push(act);
    for (let k = 0; k + 1 < w.length; k++) {
      const nin = w[k], nout = w[k + 1];
      const out = new Float64Array(rows * nout);
      const bias = at + nout * nin;
      const last = k + 2 === w.length;
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < nout; o++) {
          let s = params[bias + o];
          for (let i = 0; i < nin; i++) s += params[at + o * nin + i] * act[r * nin + i];
          out[r * nout + o] = last || s > 0 ? s : 0;
        }
      }
      at = bias + nout;
      act = out;
      cache.acts.push(act);
    }
    const route = new Float64Array(rows * E);
    for (let r = 0; r < rows; r++) softmaxInto(act, r * E, E, route);
    return { route, cache };
  }

  /** Forward pass: router, experts, mixture, softmax, predictions. */
  async forward(params: Float64Array, x: Float64Array, rows: number): Promise<ForwardResult> {
    this.checkParams(params);
    this.checkX(x, rows);
    return (await this.forwardInternal(params, x, rows)).result;
  }

  /** Router probabilities P(e | x) for `rows` rows (rows x experts), without the experts. */
  async routeProbabilities(params: Float64Array, x: Float64Array, rows: number): Promise<Float64Array> {
    this.checkParams(params);
    this.checkX(x, rows);
    return (await this.routerForward(params, x, rows)).route;
  }

  private async forwardInternal(params: Float64Array, x: Float64Array, rows: number, draw?: Int32Array) {
    const { features: F, classes: C, experts: E } = this.spec;
    const { route, cache } = await this.routerForward(params, x, rows);
    const gate = routeGate(this.spec, route, rows, this.rng, draw);
    const g = gate.weights;
    const expertLogits = new Float64Array(rows * E * C); // z[r, e, c], 0 for experts that do not run
    const base = this.layout.router;
    const per = expertParamCount(this.spec);
    // Dense routing runs every expert (dP needs every z); sparse gates only the experts they keep.
    const dense = gateKind(this.spec) === 'dense';
    const active = (r: number, e: number) => dense || gate.dispatch[r * E + e] > 0;
    let quantum: QuantumExpertCache | undefined;
    if (this.expertCircuit) {
      const list: number[] = [];
      for (let r = 0; r < rows; r++) for (let e = 0; e < E; e++) if (active(r, e)) list.push(r, e);
      const q = await quantumExpertsForward(this.expertBackend, this.expertCircuit, this.spec, params, base, x, Int32Array.from(list));
      quantum = q.cache;
      for (let k = 0; k < list.length / 2; k++) expertLogits.set(q.logits.subarray(k * C, (k + 1) * C), (list[2 * k] * E + list[2 * k + 1]) * C);
    } else {
      for (let r = 0; r < rows; r++) {
        for (let e = 0; e < E; e++) {
          if (!active(r, e)) continue;
          const w = base + e * per;
          for (let c = 0; c < C; c++) {
            let s = params[w + C * F + c];
            for (let i = 0; i < F; i++) s += params[w + c * F + i] * x[r * F + i];
            expertLogits[(r * E + e) * C + c] = s;
          }
        }
      }
    }
    const logits = new Float64Array(rows * C);
    const probs = new Float64Array(rows * C);
    const predictions = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      for (let e = 0; e < E; e++) {
        const ge = g[r * E + e];
        if (ge === 0 && !dense) continue;
        for (let c = 0; c < C; c++) logits[r * C + c] += ge * expertLogits[(r * E + e) * C + c];
      }
      softmaxInto(logits, r * C, C, probs);
      let best = 0;
      for (let c = 1; c < C; c++) if (logits[r * C + c] > logits[r * C + best]) best = c;
      predictions[r] = best;
    }
    return { result: { rows, route, logits, probs, predictions, gate: g, dispatch: gate.dispatch }, cache, expertLogits, gate, quantum };
  }

  /** Forward pass with the cross-entropy of each row against `labels`. */
  async loss(params: Float64Array, x: Float64Array, labels: ArrayLike<number>, rows: number): Promise<LossResult> {
    this.checkParams(params);
    this.checkX(x, rows);
    this.checkLabels(labels, rows);
    const { result } = await this.forwardInternal(params, x, rows);
    return { ...result, ...crossEntropy(result.logits, result.predictions, labels, rows, this.spec.classes) };
  }

  private checkLabels(labels: ArrayLike<number>, rows: number): void {
    if (!labels || labels.length !== rows) throw new QmoeInputError('labels.length', labels?.length, `must equal rows (${rows})`);
    for (let r = 0; r < rows; r++) {
      const t = labels[r];
      if (!Number.isInteger(t) || t < 0 || t >= this.spec.classes) throw new QmoeInputError(`labels[${r}]`, t, `must be a class from 0 to ${this.spec.classes - 1}`);
    }
  }

  /**
   * Mean cross-entropy over the rows and the gradient of it plus the balance loss with respect to
   * every parameter (for routing by shots: the score-function estimate, routing.ts).
   */
  async lossAndGradient(params: Float64Array, x: Float64Array, labels: ArrayLike<number>, rows: number, options: GradientOptions = {}): Promise<GradientResult> {
    this.checkParams(params);
    this.checkX(x, rows);
    this.checkLabels(labels, rows);
    const { features: F, classes: C, experts: E } = this.spec;
    const { result, cache, expertLogits, gate, quantum } = await this.forwardInternal(params, x, rows, options.draw);
    const ce = crossEntropy(result.logits, result.predictions, labels, rows, C);
    const grad = new Float64Array(this.layout.total);
    const dGate = new Float64Array(rows * E);
    const dy = new Float64Array(C);
    const base = this.layout.router;
    const per = expertParamCount(this.spec);
    const dLogits = quantum ? new Float64Array((quantum.pairs.length / 2) * C) : undefined;
    let pair = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < C; c++) dy[c] = (result.probs[r * C + c] - (labels[r] === c ? 1 : 0)) / rows;
      for (let e = 0; e < E; e++) {
        const ge = gate.weights[r * E + e];
        const isPair = quantum !== undefined && pair < quantum.pairs.length / 2 && quantum.pairs[2 * pair] === r && quantum.pairs[2 * pair + 1] === e;
        let dp = 0;
        for (let c = 0; c < C; c++) {
          dp += dy[c] * expertLogits[(r * E + e) * C + c];
          const gc = ge * dy[c];
          if (quantum) {
            if (isPair) dLogits![pair * C + c] = gc;
            continue;
          }
          if (gc === 0) continue;
          const w = base + e * per;
          grad[w + C * F + c] += gc;
          for (let i = 0; i < F; i++) grad[w + c * F + i] += gc * x[r * F + i];
        }
        if (isPair) pair++;
        dGate[r * E + e] = dp;
      }
    }
    if (quantum) await quantumExpertsBackward(this.expertBackend, this.expertCircuit!, this.spec, params, base, quantum, dLogits!, grad);
    const dRoute = gateBackward(this.spec, result.route, gate, dGate, rows, ce.losses);
    const balance = this.spec.balance !== undefined ? balanceLoss(this.spec.balance, result.route, gate.dispatch, rows, E, dRoute) : 0;
    await this.routerBackward(params, x, rows, result.route, cache, dRoute, grad);
    return { ...result, ...ce, grad, balance };
  }

  private async routerBackward(params: Float64Array, x: Float64Array, rows: number, route: Float64Array, cache: RouterCache, dRoute: Float64Array, grad: Float64Array): Promise<void> {
    const E = this.spec.experts;
    const circuitInput = () => ({ rows, features: x, params: params.subarray(0, this.layout.circuit) });
    if (this.circuit && readoutOf(this.spec) !== 'z') {
      const g = await this.backend.gradient(this.circuit, circuitInput(), this.output!, dRoute);
      grad.set(g.params, 0);
      return;
    }
    // Softmax backward: ds = P * (dP - P . dP).
    let delta = new Float64Array(rows * E);
    for (let r = 0; r < rows; r++) {
      let dot = 0;
      for (let e = 0; e < E; e++) dot += route[r * E + e] * dRoute[r * E + e];
      for (let e = 0; e < E; e++) delta[r * E + e] = route[r * E + e] * (dRoute[r * E + e] - dot);
    }
    const w = this.widths;
    // Offsets of each dense layer in the flat vector.
    const offsets: number[] = [];
    let at = this.layout.circuit;
    for (let k = 0; k + 1 < w.length; k++) {
      offsets.push(at);
      at += w[k + 1] * (w[k] + 1);
    }
    for (let k = w.length - 2; k >= 0; k--) {
      const nin = w[k], nout = w[k + 1];
      const off = offsets[k];
      const bias = off + nout * nin;
      const input = cache.acts[k];
      const needInput = k > 0 || this.circuit !== undefined;
      const dIn = needInput ? new Float64Array(rows * nin) : undefined;
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < nout; o++) {
          const d = delta[r * nout + o];
          if (d === 0) continue;
          grad[bias + o] += d;
          for (let i = 0; i < nin; i++) {
            grad[off + o * nin + i] += d * input[r * nin + i];
            if (dIn) dIn[r * nin + i] += d * params[off + o * nin + i];
          }
        }
      }
      if (!dIn) break;
      if (k > 0) {
        // Through the ReLU of the hidden layer that produced `input`.
        for (let j = 0; j < dIn.length; j++) if (!(input[j] > 0)) dIn[j] = 0;
      }
      delta = dIn;
    }
    if (this.circuit) {
      // Code preset: delta is dL/d<Z> (rows x qubits).
      const g = await this.backend.gradient(this.circuit, circuitInput(), this.output!, delta);
      grad.set(g.params, 0);
    }
  }
}

/** Writes softmax(v[at .. at + n)) into out[at ..]. */
export function softmaxInto(v: ArrayLike<number>, at: number, n: number, out: Float64Array): void {
  let m = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, v[at + i]);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(v[at + i] - m);
    out[at + i] = e;
    s += e;
  }
  for (let i = 0; i < n; i++) out[at + i] /= s;
}

/** Cross-entropy -log softmax(y)_t per row (log-sum-exp, stable), its mean and the correct count. */
export function crossEntropy(logits: Float64Array, predictions: Int32Array, labels: ArrayLike<number>, rows: number, classes: number): { losses: Float64Array; loss: number; correct: number } {
  const losses = new Float64Array(rows);
  let sum = 0;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, logits[r * classes + c]);
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits[r * classes + c] - m);
    const l = m + Math.log(s) - logits[r * classes + labels[r]];
    losses[r] = l;
    sum += l;
    if (predictions[r] === labels[r]) correct++;
  }
  return { losses, loss: sum / rows, correct };
}
