import { GATES } from '../gates.js';
import type { GateName } from '../types.js';

/**
 * The gate library every program sees (qelib1.inc of OpenQASM 2, as Qiskit extends it, and the
 * names of OpenQASM 3's stdgates.inc).
 *
 * Gates that are a target matrix with controls are model gates (src/circuit/gates.ts) and run as
 * one op each, under the name GATES[g].qasm and the aliases below. The others are defined here in
 * terms of those, with exact matrices (each checked in test/circuit/qelib1.test.ts against its
 * qelib1 definition in U and CX, up to a global phase):
 * - u3(theta, phi, lambda) = P(phi) RY(theta) P(lambda) exactly, so its three angles stay
 *   separately differentiable; u2 and U and u are u3; u0 is the identity;
 * - cu3 = CP(phi) CRY(theta) CP(lambda) on the same control; cu adds P(gamma) on the control;
 * - rzz(theta) = diag(1, e^{i theta}, e^{i theta}, 1) = P(theta) on each qubit and CP(-2 theta):
 *   all diagonal, so the fused kernels run it in one pass; rxx(theta) = CX RX(theta) CX;
 * - cswap = CX CCX CX; rccx and rc3x are their qelib1 definitions (relative-phase Toffolis).
 */
export const PRELUDE = `
gate u3(theta,phi,lambda) q { u1(lambda) q; ry(theta) q; u1(phi) q; }
gate u(theta,phi,lambda) q { u3(theta,phi,lambda) q; }
gate U(theta,phi,lambda) q { u3(theta,phi,lambda) q; }
gate u2(phi,lambda) q { u3(pi/2,phi,lambda) q; }
gate u0(gamma) q { id q; }
gate cu3(theta,phi,lambda) c,t { cu1(lambda) c,t; cry(theta) c,t; cu1(phi) c,t; }
gate cu(theta,phi,lambda,gamma) c,t { u1(gamma) c; cu3(theta,phi,lambda) c,t; }
gate rxx(theta) a,b { cx a,b; rx(theta) a; cx a,b; }
gate rzz(theta) a,b { u1(theta) a; u1(theta) b; cu1(-2*theta) a,b; }
gate cswap a,b,c { cx c,b; ccx a,b,c; cx c,b; }
gate rccx a,b,c { h c; t c; cx b,c; tdg c; cx a,c; t c; cx b,c; tdg c; h c; }
gate rc3x a,b,c,d { h d; t d; cx c,d; tdg d; h d; cx a,d; t d; cx b,d; tdg d; cx a,d; t d; cx b,d; tdg d; h d; t d; cx c,d; tdg d; h d; }
`;

/** Other names of model gates: OpenQASM 2's built-in CX, newer qelib1 and stdgates names. */
const ALIASES: Readonly<Record<string, GateName>> = {
  CX: 'cnot',
  p: 'p',
  phase: 'p',
  cp: 'cp',
  cphase: 'cp',
  c3sx: 'c3sqrtx',
};

/** Every name under which a model gate is called directly, and the gate. */
export function primitiveNames(): Map<string, GateName> {
  const names = new Map<string, GateName>();
  for (const g of Object.keys(GATES) as GateName[]) names.set(GATES[g].qasm, g);
  for (const [name, g] of Object.entries(ALIASES)) names.set(name, g);
  return names;
}
