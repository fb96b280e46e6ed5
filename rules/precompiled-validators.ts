// The validators `npm run build` compiled ahead of time, by schema fingerprint (rules/schema-compile.ts). From the
// sources there are none: this module is what runs under tsx and in tests. The build replaces its content in
// the compiled package with the generated code (scripts/precompile-validators.ts); nothing else changes.
import type { ValidateFunction } from 'ajv';

export const PRECOMPILED_VALIDATORS: Readonly<Record<string, ValidateFunction>> = {};
