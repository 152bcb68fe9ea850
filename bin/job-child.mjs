#!/usr/bin/env node
// A local worker process of qmoe (src/jobs/pool.ts forks it): trains the run specs it is sent.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/jobs/child.ts', import.meta.url).href);
