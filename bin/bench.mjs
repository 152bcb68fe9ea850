#!/usr/bin/env node
// `npm run bench`: runs bench/run.ts through tsx (see bench/run.ts for the options).
import { register } from 'tsx/esm/api';

register();
await import('../bench/run.ts');
