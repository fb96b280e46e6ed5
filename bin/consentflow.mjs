#!/usr/bin/env node
// The `consentflow` command. The installed package runs the JavaScript `npm run build` compiled (dist/cli.mjs),
// so a start costs no compiler. A clone runs its TypeScript sources through tsx, so a fresh clone needs no
// build step and an edit is never hidden by an older build (CONSENTFLOW_COMPILED=1 runs dist/ there instead).
import { existsSync } from 'node:fs';

const source = new URL('../client/cli/main.ts', import.meta.url);
if (existsSync(source) && process.env.CONSENTFLOW_COMPILED !== '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/cli.mjs');
}
