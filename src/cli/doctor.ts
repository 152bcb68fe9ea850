import { MAX_QUBITS } from '../circuit/validate.js';
import { acquireGpu } from '../gpu/acquire.js';
import { formatBytes } from '../gpu/check.js';
import { LIMIT_NAMES, type AcquireStep, type GpuContext, type GpuLimits } from '../gpu/context.js';
import { SUBGROUP_MAX_REGS } from '../gpu/op-codes.js';
import { defineCommand, flag } from './args.js';
import { DOCTOR_USAGE } from './usages.js';

export const DOCTOR_HELP = `${DOCTOR_USAGE}

Looks for a WebGPU device the way the library does (system Vulkan, NVIDIA EGL, SwiftShader,
then the CPU backend) and prints what each step found, the adapter, its limits and the largest
circuits the GPU kernels can hold (the global path's from buffers the device allocated).

  --json   one JSON object: {chosen, adapter, limits, maxQubits, steps, node, platform}
`;

/** Largest qubit counts the GPU kernels hold on a device. */
export interface MaxQubits {
  /** Subgroup kernels, a state in the registers of one subgroup (0: no subgroups feature). */
  subgroup: number;
  /** Fused kernel, whole state in workgroup memory: complex (8 bytes per amplitude). */
  fusedComplex: number;
  /** Fused kernel, real-only circuits (4 bytes per amplitude). */
  fusedReal: number;
  /** Global-memory path, one state in one storage buffer that this device allocated: complex. */
  globalComplex: number;
  /** Global-memory path, real-only circuits. */
  globalReal: number;
  /** Largest trainable circuit, workgroup adjoint (psi and lambda in workgroup memory): complex. */
  adjointWorkgroupComplex: number;
  adjointWorkgroupReal: number;
  /**
   * Largest trainable circuit, global-memory adjoint: a state within one storage binding that
   * this device allocated (psi and lambda are two such buffers), at most the router's limit.
   */
  adjointGlobalComplex: number;
  adjointGlobalReal: number;
}

/**
 * The fused figures from the workgroup memory limit; the global ones from allocations that
 * succeed (probeGlobalQubits), not from the binding limit alone: a driver may refuse a buffer
 * the limits allow (SwiftShader refuses 1 GiB with a 1 GiB maxBufferSize).
 */
export async function maxQubits(gpu: GpuContext): Promise<MaxQubits> {
  const { probeGlobalQubits } = await import('../sim/statevector-gpu.js');
  const { maxSubgroupQubits } = await import('../sim/subgroup-gpu.js');
  const { maxAdjointQubits } = await import('../sim/adjoint-gpu.js');
  const { maxGlobalAdjointQubits } = await import('../sim/adjoint-global.js');
  const { MAX_ROUTER_QUBITS } = await import('../moe/models.js');
  const fit = (bytes: number, ampBytes: number) => Math.max(0, Math.min(MAX_QUBITS, Math.floor(Math.log2(bytes / ampBytes))));
  const wg = gpu.limits.maxComputeWorkgroupStorageSize;
  const globalComplex = await probeGlobalQubits(gpu, false, MAX_QUBITS);
  const globalReal = await probeGlobalQubits(gpu, true, MAX_QUBITS);
  const trainable = (probed: number, real: boolean) => Math.min(probed, maxGlobalAdjointQubits(gpu, real), MAX_ROUTER_QUBITS);
  return {
    subgroup: maxSubgroupQubits(gpu),
    fusedComplex: fit(wg, 8),
    fusedReal: fit(wg, 4),
    globalComplex,
    globalReal,
    adjointWorkgroupComplex: maxAdjointQubits(gpu, false),
    adjointWorkgroupReal: maxAdjointQubits(gpu, true),
    adjointGlobalComplex: trainable(globalComplex, false),
    adjointGlobalReal: trainable(globalReal, true),
  };
}

export interface DoctorReport {
  chosen: string;
  adapter: string | null;
  limits: GpuLimits | null;
  maxQubits: MaxQubits | null;
  steps: AcquireStep[];
  node: string;
  platform: string;
}

const BYTE_LIMITS = new Set<keyof GpuLimits>(['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxUniformBufferBindingSize']);

export function formatDoctor(r: DoctorReport): string {
  const lines: string[] = [];
  const pad = (s: string, w: number) => s.padEnd(w);
  lines.push(`${pad('chosen', 10)}${r.chosen}`);
  lines.push(`${pad('adapter', 10)}${r.adapter ?? '(none: the CPU backend will be used)'}`);
  lines.push(`${pad('node', 10)}${r.node} (${r.platform})`);
  lines.push('', 'steps');
  const stepWidth = Math.max(...r.steps.map((s) => s.step.length)) + 2;
  for (const s of r.steps) lines.push(`  ${pad(s.ok ? 'ok' : 'no', 4)}${pad(s.step, stepWidth)}${s.detail}`);
  if (r.limits) {
    lines.push('', 'limits');
    const w = Math.max(...LIMIT_NAMES.map((n) => n.length)) + 2;
    for (const name of LIMIT_NAMES) {
      const v = r.limits[name];
      lines.push(`  ${pad(name, w)}${String(v).padStart(12)}${BYTE_LIMITS.has(name) && v >= 1024 ? `  (${formatBytes(v)})` : ''}`);
    }
  }
  if (r.limits && r.maxQubits) {
    const m = r.maxQubits;
    const wg = formatBytes(r.limits.maxComputeWorkgroupStorageSize);
    const binding = formatBytes(Math.min(r.limits.maxStorageBufferBindingSize, r.limits.maxBufferSize));
    lines.push('', `largest qubit counts (the circuit model allows at most ${MAX_QUBITS})`);
    const rows: [string, number, string][] = [
      ['subgroup kernels', m.subgroup, m.subgroup > 0 ? `2^n amplitudes over the registers of one subgroup (${SUBGROUP_MAX_REGS} per lane at most)` : 'no subgroups feature on this adapter'],
      ['fused kernel, complex', m.fusedComplex, `2^n x 8 B in ${wg} of workgroup memory`],
      ['fused kernel, real', m.fusedReal, `2^n x 4 B in ${wg} of workgroup memory`],
      ['global path, complex', m.globalComplex, `2^n x 8 B: the largest state buffer this device allocated (binding limit ${binding})`],
      ['global path, real', m.globalReal, `2^n x 4 B: the largest state buffer this device allocated (binding limit ${binding})`],
      ['training, workgroup adjoint, complex', m.adjointWorkgroupComplex, `psi and lambda, 2 x 2^n x 8 B, in ${wg} of workgroup memory`],
      ['training, workgroup adjoint, real', m.adjointWorkgroupReal, `psi and lambda, 2 x 2^n x 4 B, in ${wg} of workgroup memory`],
      ['training, global adjoint, complex', m.adjointGlobalComplex, `psi and lambda in storage buffers of 2^n x 8 B per row (the router allows at most 24 qubits)`],
      ['training, global adjoint, real', m.adjointGlobalReal, `psi and lambda in storage buffers of 2^n x 4 B per row (the router allows at most 24 qubits)`],
    ];
    for (const [label, n, why] of rows) lines.push(`  ${pad(label, 36)}${String(n).padStart(3)}  ${why}`);
  }
  return lines.join('\n') + '\n';
}

export const DOCTOR = defineCommand({ usage: DOCTOR_USAGE, help: DOCTOR_HELP, options: { json: flag() }, run: doctor });

async function doctor(values: { json?: boolean }): Promise<number> {
  const acquisition = await acquireGpu();
  const gpu = acquisition.gpu;
  try {
    const report: DoctorReport = {
      chosen: acquisition.chosen,
      adapter: gpu?.adapterName ?? null,
      limits: gpu ? { ...gpu.limits } : null,
      maxQubits: gpu ? await maxQubits(gpu) : null,
      steps: acquisition.steps,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    };
    process.stdout.write(values.json ? JSON.stringify(report) + '\n' : formatDoctor(report));
  } finally {
    gpu?.destroy();
  }
  return 0;
}
