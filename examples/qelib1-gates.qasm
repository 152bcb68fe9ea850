// Gates of qelib1.inc beyond the basic ones, a user gate and broadcasting.
// npx qmoe simulate --qasm examples/qelib1-gates.qasm
// npx qmoe grad --qasm examples/qelib1-gates.qasm --weights examples/qelib1-gates.weights.json
OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg c[3];
gate entangle(theta, phi) a, b {
  u3(theta, phi, -phi / 2) a;
  cu1(sin(theta)) a, b;
  rzz(theta * phi) a, b;
}
h q;
entangle(0.7, 1.9) q[0], q[1];
u3(1.2, -0.4, 0.3) q[2];
p(0.5) q[1];
ccx q[0], q[1], q[2];
sx q;
measure q -> c;
