// Minimal typing of the parts of the untyped npm simulator `quantum-circuit` the tests use.
declare module 'quantum-circuit' {
  interface Complex {
    re: number;
    im: number;
  }
  export default class QuantumCircuit {
    constructor(numQubits?: number);
    numQubits: number;
    /** Sparse state: decimal basis index (qubit 0 = least significant bit) -> amplitude. */
    state: Record<string, Complex>;
    importQASM(input: string, errorCallback?: (errors: unknown[]) => void): void;
    run(initialValues?: number[]): void;
  }
}
