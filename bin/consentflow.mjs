#!/usr/bin/env node
// The `consentflow` command: TypeScript sources run through tsx, so a marketer's rule change or a fresh
// clone needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../client/cli/main.ts');
