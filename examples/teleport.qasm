// Quantum teleportation: measurements in the middle and classically controlled gates.
// Runs per shot: npx qmoe simulate --qasm examples/teleport.qasm --shots 10000
// q[2] ends in the state ry(1.3) prepared on q[0]: P(q[2] = 1) = sin^2(0.65) = 0.3663.
OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg a[1];
creg b[1];
ry(1.3) q[0];
h q[1];
cx q[1], q[2];
cx q[0], q[1];
h q[0];
measure q[0] -> a[0];
measure q[1] -> b[0];
if (b == 1) x q[2];
if (a == 1) z q[2];
