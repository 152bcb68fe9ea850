/**
 * Runs the Python peers of bench/peers/ (PyTorch, JAX) as child processes and reads their JSON.
 * Reusable by every section: the CPU section runs PyTorch with PEER_DEVICE=cpu; a GPU section can
 * run both with the default device. A missing python3, torch or jax is a 'skipped' result with
 * the reason, never an exception.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type PeerName = 'torch' | 'jax';

export interface PeerCaseResult {
  n: number;
  B: number;
  /** torch: 'complex64' | 'float32'; jax: float32. */
  dtype: string;
  compiled: boolean;
  fwdMs: number;
  /** Forward + gradient (torch: fwdbwd_ms, jax: grad_ms). */
  gradMs: number;
}

export interface PeerRun {
  peer: PeerName;
  status: 'ok' | 'skipped' | 'error';
  reason?: string;
  /** The peer's first line: library version and device. */
  banner?: string;
  python: string;
  device: string;
  results: PeerCaseResult[];
  seconds: number;
}

export interface PeerOptions {
  /** 'cpu' or 'cuda' (PEER_DEVICE). */
  device: 'cpu' | 'cuda';
  cases: { n: number; B: number }[];
  /** Interpreter; default QMOE_PYTHON, else /usr/bin/python3 when it exists, else python3. */
  python?: string;
  /** Longest the child may run (default 20 minutes). */
  limitMs?: number;
}

const SCRIPTS: Record<PeerName, string> = {
  torch: fileURLToPath(new URL('./peers/torch_router.py', import.meta.url)),
  jax: fileURLToPath(new URL('./peers/jax_router.py', import.meta.url)),
};

export function defaultPython(): string {
  return process.env.QMOE_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

/** Runs one peer over the cases. */
export async function runPeer(peer: PeerName, options: PeerOptions): Promise<PeerRun> {
  const python = options.python ?? defaultPython();
  const dir = mkdtempSync(join(tmpdir(), 'qmoe-peer-'));
  const out = join(dir, `${peer}.json`);
  const t0 = performance.now();
  const run: PeerRun = { peer, status: 'ok', python, device: options.device, results: [], seconds: 0 };
  try {
    // JAX picks its own device: on 'cpu' it is kept off any GPU.
    const env = { ...process.env, ...(options.device === 'cpu' ? { JAX_PLATFORMS: 'cpu' } : {}), PEER_DEVICE: options.device, PEER_CASES: options.cases.map((c) => `${c.n}:${c.B}`).join(',') };
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string; error?: NodeJS.ErrnoException }>((resolve) => {
      const child = spawn(python, [SCRIPTS[peer], out], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '', stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.limitMs ?? 20 * 60_000);
      child.on('error', (error) => {
        clearTimeout(timer);
        resolve({ code: null, stdout, stderr, error });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    if (r.error) {
      run.status = 'skipped';
      run.reason = r.error.code === 'ENOENT' ? `no ${python}` : r.error.message;
      return run;
    }
    const missing = /ModuleNotFoundError: No module named '([^']+)'/.exec(r.stderr);
    if (missing) {
      run.status = 'skipped';
      run.reason = `${python} has no ${missing[1]}`;
      return run;
    }
    run.banner = r.stdout.split('\n')[0]?.trim();
    if (r.code !== 0 || !existsSync(out)) {
      run.status = 'error';
      run.reason = `exit code ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
      return run;
    }
    const rows = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>[];
    run.results = rows.map((x) => ({
      n: x.n as number,
      B: x.B as number,
      dtype: (x.dtype as string | undefined) ?? 'float32',
      compiled: x.compiled === true,
      fwdMs: x.fwd_ms as number,
      gradMs: (x.fwdbwd_ms ?? x.grad_ms) as number,
    }));
    const failed = r.stdout.split('\n').filter((l) => l.startsWith('fail'));
    if (failed.length > 0) run.reason = failed.join('; ');
    return run;
  } finally {
    run.seconds = (performance.now() - t0) / 1000;
    rmSync(dir, { recursive: true, force: true });
  }
}
