import { readFileSync } from 'node:fs';
import { QmoeInputError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { modelJson, validateModel, type SavedModel } from './model-file.js';

export { MODEL_FORMAT, MODEL_VERSION, modelJson, validateModel, type SavedModel, type TrainingSettings } from './model-file.js';

/** Writes the model as JSON, atomically (temporary file, fsync, rename): never a partial file. */
export function saveModel(path: string, model: SavedModel): void {
  writeFileAtomic(path, modelJson(model));
}

/** Reads and validates a model file; every problem is a QmoeInputError naming the field. */
export function loadModel(path: string): SavedModel {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new QmoeInputError('--model', path, `cannot read the model file (${why})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new QmoeInputError('--model', path, `is not valid JSON (${(e as Error).message}); is it a model.json written by qmoe train?`);
  }
  try {
    return validateModel(json, 'model');
  } catch (e) {
    if (e instanceof QmoeInputError) e.message = `${path}: ${e.message}`;
    throw e;
  }
}
