/**
 * Parse time of large OpenQASM files (`npx tsx bench/qasm-parse.ts [MB]`, default 10 MB).
 *
 * Two generated files, both deterministic: `basic` has only rz, ry, h and cx on 20 qubits (the
 * gates every parser of this project ever read, so numbers compare across versions); `qelib1`
 * mixes u3, cu1, ccx, rzz and calls of a user gate. Prints MB, gates, ops and the seconds of
 * parseQasm, wall and CPU (user + system, including garbage collection threads).
 */
import { parseQasm } from '../src/circuit/qasm.js';

function generate(kind: 'basic' | 'qelib1', megabytes: number): string {
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const head = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[20];\ncreg c[20];\n';
  const lines = [kind === 'qelib1' ? `${head}gate layer(t) a, b { ry(t) a; cx a, b; rz(-t / 2) b; }` : head];
  let size = lines[0].length;
  let gates = 0;
  while (size < megabytes * 1024 * 1024) {
    const r = rnd();
    const a = Math.floor(rnd() * 20);
    let b = Math.floor(rnd() * 19);
    if (b >= a) b++;
    const c = (Math.max(a, b) + 1) % 20 === Math.min(a, b) ? (Math.max(a, b) + 2) % 20 : (Math.max(a, b) + 1) % 20;
    let l: string;
    if (kind === 'basic' || r < 0.5) {
      const s = rnd();
      if (s < 0.3) l = `rz(${(rnd() * 6 - 3).toFixed(12)}) q[${a}];`;
      else if (s < 0.5) l = `ry(pi*${rnd().toFixed(6)}/2) q[${a}];`;
      else if (s < 0.7) l = `h q[${a}];`;
      else l = `cx q[${a}],q[${b}];`;
    } else if (r < 0.65) l = `u3(${rnd().toFixed(9)},${rnd().toFixed(9)},${rnd().toFixed(9)}) q[${a}];`;
    else if (r < 0.75) l = `cu1(${rnd().toFixed(9)}) q[${a}],q[${b}];`;
    else if (r < 0.85) l = `rzz(${rnd().toFixed(9)}) q[${a}],q[${b}];`;
    else if (r < 0.92) l = c === a || c === b ? `h q[${a}];` : `ccx q[${a}],q[${b}],q[${c}];`;
    else l = `layer(${rnd().toFixed(9)}) q[${a}],q[${b}];`;
    lines.push(l);
    size += l.length + 1;
    gates++;
  }
  lines.push('measure q -> c;');
  return lines.join('\n') + '\n';
}

const megabytes = Number(process.argv[2] ?? 10);
if (!(megabytes > 0)) throw new Error(`size in MB must be positive, not ${process.argv[2]}`);
for (const kind of ['basic', 'qelib1'] as const) {
  const text = generate(kind, megabytes);
  const gates = text.split('\n').length - 6;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const circuit = parseQasm(text);
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  // CPU time beside the wall time: on a shared machine the wall time includes waiting.
  console.log(`${kind.padEnd(7)} ${(text.length / 2 ** 20).toFixed(1)} MB, ${gates} gates, ${circuit.ops.length} ops: ${s.toFixed(2)} s (CPU ${((c.user + c.system) / 1e6).toFixed(2)} s)`);
}
