// Turns a TypeBox schema into an Ajv validate function. Compiling the rule-file schemas with Ajv took most of
// a CLI call's start-up (`consentflow decide` spent ~0.45 s of ~0.7 s in it), so `npm run build` compiles the
// schemas the CLI and the worker validate against into JavaScript ahead of time (Ajv standalone code,
// scripts/precompile-validators.ts), and the compiled package looks them up here by the schema's fingerprint.
// Any other schema, and every schema when running from the TypeScript sources, is compiled by Ajv on first use;
// Ajv itself is only loaded then. A stale build (a schema edited since) cannot validate against an old shape:
// the fingerprint no longer matches and Ajv compiles the current one.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Ajv, Options, ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { PRECOMPILED_VALIDATORS } from './precompiled-validators';

/** One set of options for run-time compiling and for the standalone code, so both validate alike. */
export const AJV_OPTIONS: Options = { allErrors: true, verbose: true, strict: false };

/** Ajv with the formats plugin; `extra` adds options (the build adds `code: { source: true, esm: true }`). */
export function createAjv(extra: Options = {}): Ajv {
  // Loaded on use: the compiled CLI never needs Ajv's compiler for the schemas the build covered.
  const require = createRequire(import.meta.url);
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  const formatsModule = require('ajv-formats') as { default?: unknown };
  // ajv-formats is CommonJS; the plugin is either the module or its default export.
  const addFormats = (formatsModule.default ?? formatsModule) as (ajv: Ajv) => Ajv;
  return addFormats(new AjvClass({ ...AJV_OPTIONS, ...extra }));
}

/** What identifies a schema across processes: a hash of its JSON (TypeBox's symbol keys are not part of it). */
export function schemaFingerprint(schema: TSchema): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 24);
}

let runtimeAjv: Ajv | undefined;
const compiled = new WeakMap<TSchema, ValidateFunction>();

export function compileSchema(schema: TSchema): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = PRECOMPILED_VALIDATORS[schemaFingerprint(schema)] ?? (runtimeAjv ??= createAjv()).compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}
