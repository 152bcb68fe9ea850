// A rotated Bell-like state: RY(0.7) on qubit 0, CNOT, RX(-0.3) on qubit 1.
OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
ry(0.7) q[0];
cx q[0], q[1];
rx(-0.3) q[1];
