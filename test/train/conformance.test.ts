import { CONFORMANCE_MODELS } from '../helpers/conformance.js';
import { describeEngineConformance } from '../helpers/engine-conformance.js';

// Every training engine against the float64 CPU engine on the study's models (test/helpers/engine-conformance.ts).
await describeEngineConformance(CONFORMANCE_MODELS);
