#!/usr/bin/env node
// The qmoe command: runs the TypeScript sources through tsx, no build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import(new URL('../src/cli/main.ts', import.meta.url).href);
await runCli(process.argv.slice(2));
