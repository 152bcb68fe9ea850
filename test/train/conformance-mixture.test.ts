import { CONFORMANCE_MIXTURE_MODELS } from '../helpers/conformance.js';
import { describeEngineConformance } from '../helpers/engine-conformance.js';

// Every training engine against the float64 CPU engine with top-k, route shots and the balance
// loss (test/helpers/engine-conformance.ts); the WebGPU engine within 1e-4 on losses and
// predictions, 2e-4 on the parameters (f32 against float64).
await describeEngineConformance(CONFORMANCE_MIXTURE_MODELS);
