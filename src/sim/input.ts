import { QmoeInputError, checkFloat32Range, checkInt } from '../errors.js';
import type { Circuit } from '../circuit/types.js';
import type { BatchInput } from './backend.js';

/** Most rows in one call; larger data sets go through several calls. */
export const MAX_ROWS = 1 << 26;

/** Checks a batch against its circuit: row count, row widths, finite features and parameters. */
export function validateInput(circuit: Circuit, input: BatchInput): void {
  checkInt('input.rows', input?.rows, 1, MAX_ROWS);
  const want = input.rows * circuit.features;
  const features = input.features;
  if (circuit.features > 0 || features !== undefined) {
    if (!features || typeof features.length !== 'number') {
      throw new QmoeInputError('input.features', features, `must hold rows x circuit.features = ${want} numbers`);
    }
    if (features.length !== want) {
      throw new QmoeInputError(
        'input.features.length',
        features.length,
        `must equal rows (${input.rows}) x row width (${circuit.features}) = ${want}`,
      );
    }
    for (let i = 0; i < features.length; i++) {
      if (!Number.isFinite(features[i])) {
        const row = Math.floor(i / circuit.features);
        throw new QmoeInputError(`input.features[row ${row}, column ${i % circuit.features}]`, features[i], 'features must be finite numbers (no NaN or infinity)');
      }
    }
  }
  const params = input.params;
  if (circuit.params > 0 || params !== undefined) {
    if (!params || params.length !== circuit.params) {
      throw new QmoeInputError('input.params.length', params?.length, `must equal circuit.params = ${circuit.params}`);
    }
    for (let i = 0; i < params.length; i++) {
      if (!Number.isFinite(params[i])) throw new QmoeInputError(`input.params[${i}]`, params[i], 'parameters must be finite numbers');
    }
  }
}

/** The angle of an op for row `row`. */
export function resolveAngle(
  angle: { kind: 'const'; value: number } | { kind: 'feature'; index: number } | { kind: 'param'; index: number },
  input: BatchInput,
  width: number,
  row: number,
): number {
  if (angle.kind === 'const') return angle.value;
  if (angle.kind === 'param') return input.params![angle.index];
  return input.features![row * width + angle.index];
}

/** Refuses features and parameters the GPU's float32 cannot hold (they would become infinities). */
export function checkGpuInput(circuit: Circuit, input: BatchInput): void {
  const F = circuit.features;
  checkFloat32Range(input.features, (i) => `input.features[row ${Math.floor(i / F)}, column ${i % F}]`);
  checkFloat32Range(input.params, (i) => `input.params[${i}]`);
}
