/**
 * `npm run bench -- --peers`: qmoe's router forward and forward + gradient beside the PyTorch and
 * JAX peers (bench/peers/), all in the same call on the same machine, so every ratio in the table
 * comes from one run. A peer whose interpreter or framework is missing is reported and skipped.
 */
import { routerCircuit } from '../src/circuit/builders.js';
import type { GpuContext } from '../src/gpu/context.js';
import type { AnyGradientRunner } from '../src/sim/adjoint-global.js';
import { WebGpuBackend } from '../src/sim/backend-gpu.js';
import type { CircuitRunner } from '../src/sim/statevector-gpu.js';
import { EXPERTS, LAYERS, features, params } from './forward.js';
import { runPeer, type PeerCaseResult, type PeerName, type PeerRun } from './peers.js';
import { sig, table } from './table.js';
import { StallError, scoped, timeOne, withTimeout, type TimingOptions } from './timing.js';
import { isSoftwareAdapter } from '../src/gpu/software-adapter.js';

export interface PeerCase {
  n: number;
  B: number;
}

/** The issue's sizes: n = 2 and 8 at 2^20 samples, n = 12 at 2^16. */
export const PEERS_FULL: PeerCase[] = [
  { n: 2, B: 2 ** 20 },
  { n: 8, B: 2 ** 20 },
  { n: 12, B: 2 ** 16 },
];
/** SwiftShader (2 CPU cores): small enough for a couple of minutes. */
export const PEERS_QUICK: PeerCase[] = [
  { n: 2, B: 4096 },
  { n: 4, B: 1024 },
  { n: 8, B: 128 },
];

export interface QmoeCaseRow {
  n: number;
  B: number;
  status: 'ok' | 'error';
  reason?: string;
  /** Kernel paths of the forward and of the gradient. */
  forwardPath?: string;
  gradientPath?: string;
  /** Median ms per forward (whole batch) and per forward + adjoint gradient. */
  fwdMs?: number;
  gradMs?: number;
  kFwd?: number;
  kGrad?: number;
  /** When the subgroup kernels ran: the same case on the fused (workgroup-memory) kernels, for comparison. */
  fused?: QmoeCaseRow;
}

export interface PeersSection {
  device: 'cpu' | 'cuda';
  cases: PeerCase[];
  qmoe: QmoeCaseRow[];
  peers: PeerRun[];
}

/** The device the peers run on: QMOE_PEER_DEVICE, else cuda beside a real GPU and cpu beside SwiftShader. */
export function peerDevice(gpu: GpuContext): 'cpu' | 'cuda' {
  const env = process.env.QMOE_PEER_DEVICE;
  if (env === 'cpu' || env === 'cuda') return env;
  return isSoftwareAdapter(gpu) ? 'cpu' : 'cuda';
}

async function timeQmoe(gpu: GpuContext, c: PeerCase, timing: TimingOptions, limitMs: number, log: (line: string) => void, path: 'auto' | 'fused' = 'auto'): Promise<QmoeCaseRow> {
  const row: QmoeCaseRow = { n: c.n, B: c.B, status: 'ok' };
  const backend = new WebGpuBackend(gpu, { path });
  const circuit = routerCircuit(c.n, LAYERS);
  const p = params(circuit.params);
  const x = features(c.n, c.B);
  const output = { kind: 'experts', experts: EXPERTS } as const;
  let fwd: CircuitRunner | undefined;
  let grad: AnyGradientRunner | undefined;
  let stage = 'prepare';
  try {
    await withTimeout(limitMs, () => `peers n=${c.n} B=${c.B}, qmoe ${stage}`, async () => {
      log(`peers: qmoe n=${c.n} B=${c.B} ${path} forward ...`);
      fwd = await scoped(gpu.device, () => backend.prepare(circuit, c.B, output), (r) => r.destroy());
      fwd.setFeatures(x, c.B);
      fwd.setParams(p);
      row.forwardPath = fwd.path;
      stage = 'forward';
      const f = fwd;
      const tf = await timeOne(gpu.device, { submit: (k) => { for (let i = 0; i < k; i++) f.dispatch(); } }, timing);
      row.fwdMs = tf.ms;
      row.kFwd = tf.k;
      fwd.destroy();
      fwd = undefined;
      log(`peers: qmoe n=${c.n} B=${c.B} forward + gradient ...`);
      stage = 'prepare gradient';
      grad = await scoped(gpu.device, () => backend.prepareGradient(circuit, c.B, output), (r) => r.destroy());
      grad.setFeatures(x, c.B);
      grad.setParams(p);
      // dL/dout = w for every row, as the peers' (p @ w).sum().
      const w = new Float32Array(c.B * EXPERTS);
      for (let i = 0; i < w.length; i++) w[i] = ((i % EXPERTS) + 1) / EXPERTS;
      grad.setUpstream(w);
      row.gradientPath = 'path' in grad ? grad.path : 'global';
      stage = 'gradient';
      const g = grad;
      const tg = await timeOne(gpu.device, { submit: (k) => { for (let i = 0; i < k; i++) g.dispatch(); } }, timing);
      row.gradMs = tg.ms;
      row.kGrad = tg.k;
    });
  } catch (e) {
    row.status = 'error';
    row.reason = (e as Error).message;
    if (e instanceof StallError) throw e;
  } finally {
    fwd?.destroy();
    grad?.destroy();
  }
  return row;
}

/** Runs qmoe on every case, then each peer on the same cases; appends as it goes. */
export async function benchPeers(gpu: GpuContext, cases: PeerCase[], timing: TimingOptions, limitMs: number, log: (line: string) => void, out: PeersSection): Promise<void> {
  out.device = peerDevice(gpu);
  out.cases = cases;
  for (const c of cases) {
    const row = await timeQmoe(gpu, c, timing, limitMs, log);
    if (row.forwardPath === 'subgroup') row.fused = await timeQmoe(gpu, c, timing, limitMs, log, 'fused');
    out.qmoe.push(row);
  }
  for (const peer of ['torch', 'jax'] as PeerName[]) {
    log(`peers: ${peer} (bench/peers/, PEER_DEVICE=${out.device}) ...`);
    const run = await runPeer(peer, { device: out.device, cases });
    if (run.status !== 'ok') log(`peers: ${peer} ${run.status}: ${run.reason}`);
    out.peers.push(run);
  }
}

/** The fastest variant a peer ran for a case (PyTorch times complex64/float32, eager/compiled). */
function best(run: PeerRun | undefined, c: PeerCase, key: 'fwdMs' | 'gradMs'): PeerCaseResult | undefined {
  const rows = run?.status === 'ok' ? run.results.filter((r) => r.n === c.n && r.B === c.B && Number.isFinite(r[key])) : [];
  return rows.sort((a, b) => a[key] - b[key])[0];
}

const variant = (r: PeerCaseResult | undefined) => (r ? ` (${r.dtype}${r.compiled ? ', compiled' : ''})` : '');

/** The section's text: how it was measured, which peers ran, and one table. */
export function peersReport(s: PeersSection, gpu: GpuContext): string {
  const names: Record<PeerName, string> = { torch: 'PyTorch', jax: 'JAX' };
  const status = s.peers.map((r) =>
    r.status === 'ok' ? `${names[r.peer]}: ${r.banner} (${r.python}, ${r.seconds.toFixed(1)} s)${r.reason ? `; ${r.reason}` : ''}` : `${names[r.peer]} ${r.status}: ${r.reason}; its columns are empty`,
  );
  const cpuPeers = s.device === 'cpu' && isSoftwareAdapter(gpu);
  const headers = ['case', 'qmoe fwd ms', 'qmoe fwd+grad ms', 'grad/fwd', 'fused kernels fwd / fwd+grad ms'];
  for (const r of s.peers) headers.push(`${names[r.peer]} fwd ms`, `${names[r.peer]} fwd+grad ms`, `${names[r.peer]}/qmoe`);
  const rows = s.cases.map((c) => {
    const q = s.qmoe.find((x) => x.n === c.n && x.B === c.B);
    const cells = [`n=${c.n} B=${c.B}`, sig(q?.fwdMs), sig(q?.gradMs), q?.fwdMs && q.gradMs ? `${sig(q.gradMs / q.fwdMs)}x` : '-', q?.fused ? `${sig(q.fused.fwdMs)} / ${sig(q.fused.gradMs)}` : '-'];
    for (const run of s.peers) {
      const f = best(run, c, 'fwdMs');
      const g = best(run, c, 'gradMs');
      cells.push(f ? sig(f.fwdMs) + variant(f) : '-', g ? sig(g.gradMs) + variant(g) : '-');
      const rf = f && q?.fwdMs ? `${sig(f.fwdMs / q.fwdMs)}x` : '-';
      const rg = g && q?.gradMs ? `${sig(g.gradMs / q.gradMs)}x` : '-';
      cells.push(`${rf} / ${rg}`);
    }
    return cells;
  });
  const errors = s.qmoe.filter((q) => q.status !== 'ok').map((q) => `qmoe n=${q.n} B=${q.B}: ${q.reason}`);
  const paths = s.qmoe.filter((q) => q.forwardPath).map((q) => `n=${q.n}: ${q.forwardPath} / ${q.gradientPath ?? '-'}`);
  const errors2 = s.qmoe.flatMap((q) => (q.fused && q.fused.status !== 'ok' ? [`qmoe fused n=${q.n} B=${q.B}: ${q.fused.reason}`] : []));
  return [
    `\nPeers in the same run: routerCircuit(n, ${LAYERS}) (RY(x_i) embedding, ${LAYERS} layers of RY(theta) + CZ on neighbours), ms for the whole batch of B.`,
    `qmoe on ${gpu.adapterName} (${gpu.source}): ${EXPERTS} expert probabilities per sample, forward = angles + circuit kernel; forward + grad = the`,
    '   adjoint kernel (forward recomputed, backward sweep) + the batch sum of dL/dtheta, with dL/dout = w for every row; median of',
    '   samples of k back-to-back submissions then one onSubmittedWorkDone(). Kernel paths (forward / gradient): ' + (paths.join(', ') || '-') + ';',
    '   where the subgroup kernels ran, the fused (workgroup-memory) kernels were timed too, in the same run.',
    `Peers (bench/peers/, PEER_DEVICE=${s.device}): all 2^n probabilities, forward and the gradient of (p @ w).sum(); median of 10; the fastest`,
    '   variant each ran (PyTorch: complex64 or float32 states, eager or torch.compile). ratio = peer ms / qmoe ms, forward / forward + grad.',
    ...status.map((l) => `   ${l}`),
    ...(cpuPeers ? ['   SwiftShader beside peers on the CPU: both sides run on this machine\'s CPU cores; these are not GPU numbers.'] : []),
    ...[...errors, ...errors2].map((l) => `   ERROR ${l}`),
    '',
    table(headers, rows),
  ].join('\n');
}
