import type { Circuit } from '../circuit/types.js';

/**
 * The mixture-of-experts models of the study, shared by the CPU and GPU trainers.
 *
 * Every model has `experts` linear experts on the same input x (the scaled features):
 *   logits_i = W_i x + b_i   (W_i: classes x features, b_i: classes)
 * a router giving P(i | x), and the output y = sum_i P(i|x) logits_i, trained with the mean
 * cross-entropy of softmax(y) against the labels.
 *
 * Routers:
 *   linear   A: P = softmax(V x + c), V: experts x features.
 *   mlp      C: hidden layers h_1..h_m with ReLU, then a linear layer to experts and softmax.
 *   quantum  B, preset `paper`: angle embedding RY(x_i) on qubit i, `layers` layers of RY(theta)
 *            + CZ on adjacent pairs; P = expert probabilities (blocks of basis states, expertBounds).
 *   quantum  B, preset `code`: RX(x_i) embedding, StronglyEntanglingLayers (Rot = RZ RY RZ on every
 *            qubit, then CNOT(i, (i + r) mod n), r = (l mod (n - 1)) + 1), <Z_i> for every qubit,
 *            then an adapter z -> A z + a (experts x qubits) and softmax.
 *
 * Flat parameter vector layout: [router parameters..., expert parameters...]; experts are stored
 * expert by expert, each as W_i row-major (classes x features) followed by b_i (quantum experts:
 * src/moe/quantum-experts.ts).
 *
 * Beyond the study, optional fields change the mixture (src/moe/mixture-spec.ts checks them; a
 * spec without them is the study's model): quantum experts, sparse routing (top-k or measurement
 * shots, src/moe/routing.ts) and the load-balancing loss (src/moe/balance.ts).
 */
export type RouterKind = 'linear' | 'mlp' | 'quantum';
export type Preset = 'paper' | 'code';
/**
 * How the quantum router's measurement becomes expert weights (src/moe/models.ts readoutOf):
 *   blocks  P(expert e) = the probability of the e-th block of basis states (expertBounds): for
 *           2^m experts the value of qubits 0..m-1 (the paper preset's);
 *   z       <Z_i> of every qubit, then a linear adapter and softmax (the code preset's);
 *   parity  2^m experts; bit j of the expert is the parity of the qubits i with i mod m = j, so
 *           every qubit's outcome counts (measured on qubits 0..m-1 after CNOTs that fold the
 *           others onto them, without noise: the parities of measured bits, computed classically).
 */
export type Readout = 'blocks' | 'z' | 'parity';
/** Expert form (src/moe/quantum-experts.ts): linear W x + b, or a parameterized circuit per expert. */
export type ExpertsKind = 'linear' | 'quantum';

export interface ModelSpec {
  router: RouterKind;
  /** Quantum router form (ignored by classical routers). */
  preset: Preset;
  features: number;
  classes: number;
  experts: number;
  /** MLP hidden layer widths. */
  hidden: number[];
  /** Quantum router size. */
  qubits: number;
  layers: number;
  /** Quantum router readout; absent: the preset's (paper blocks, code z). */
  readout?: Readout;
  /** Quantum router: the angle embedding again before every layer (data re-uploading); absent: once. */
  reupload?: boolean;
  /** Expert form; absent: linear. */
  expertsKind?: ExpertsKind;
  /** Quantum experts: qubits (>= features), RY + CZ layers and data re-uploading of each expert's circuit. */
  expertQubits?: number;
  expertLayers?: number;
  expertReupload?: boolean;
  /** Sparse routing (src/moe/routing.ts): the K most probable experts per sample, renormalised; absent: dense. */
  topK?: number;
  /** Sparse routing: the gate is the histogram of S draws from P (measurement shots); absent: dense. */
  routeShots?: number;
  /** Weight of the load-balancing loss (src/moe/balance.ts); absent: none. */
  balance?: number;
}

/** Sizes of the parts of the flat parameter vector. */
export interface ParamLayout {
  /** Router parameters: circuit angles (quantum), then adapter (code preset) or dense layers. */
  router: number;
  /** Circuit parameters at the start of the router block (quantum only, else 0). */
  circuit: number;
  experts: number;
  total: number;
}

/** The router's circuit (quantum routers) is built by src/moe, not here. */
export type RouterCircuit = Circuit;

/*
 * Layout details inside the router block (added with the trainer, src/moe/models.ts; the same
 * rule as the experts' above):
 *  - every dense layer is its weight matrix row-major (outputs x inputs) followed by its bias:
 *    linear router V (experts x features) then c; MLP layers in order from the input
 *    (features -> hidden[0] -> ... -> hidden[m-1] -> experts); the code preset's adapter A
 *    (experts x qubits) then a;
 *  - circuit angles first: paper theta[l * qubits + i]; code weights[l, i, k] at
 *    (l * qubits + i) * 3 + k, (phi, theta, omega) of Rot, applied as RZ(phi), RY(theta), RZ(omega).
 *  - router parameter counts: paper quantum layers x qubits; code quantum 3 x layers x qubits +
 *    experts x (qubits + 1); linear experts x (features + 1); mlp sum of out x (in + 1).
 */
