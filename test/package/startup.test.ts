// What a short CLI call loads, compiled as the installed package runs it: `--help` needs commander and the
// command list only, `decide` the rule engine without Ajv's schema compiler (the build precompiles the
// validators), Temporal, PostgreSQL or Fastify. Start-up time follows from what is loaded; the times
// themselves are bench/startup.ts's, since a loaded test machine makes any time limit flaky.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../client/config';
import { compileJavaScript } from '../../scripts/build';
import { precompiledSchemas, precompiledValidatorsSource } from '../../scripts/precompile-validators';
import { createAjv, schemaFingerprint } from '../../rules/schema-compile';
import { describeErrors } from '../../rules/problems';

let out: string;
let runs = 0;

// ES modules through a loader hook, CommonJS modules (Ajv, pg, Temporal) through require.cache at exit.
const PROBE = `
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
const file = process.env.MODULE_PROBE_FILE;
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(\${JSON.stringify(file)}, url + '\\\\n'); return next(url, context); }
\`));
const require = createRequire(import.meta.url);
process.on('exit', () => appendFileSync(file, Object.keys(require.cache).join('\\n') + '\\n'));
`;

/** Runs the compiled CLI and returns its output and every package it loaded (by package name). */
function run(args: string[], input = '') {
  const list = path.join(out, `modules-${++runs}.txt`);
  const result = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(path.join(out, 'probe.mjs')).href, path.join(out, 'cli.mjs'), ...args],
    { cwd: REPO_ROOT, input, encoding: 'utf8', env: { ...process.env, MODULE_PROBE_FILE: list } },
  );
  const files = readFileSync(list, 'utf8').split('\n').filter(Boolean);
  const packages = new Set(
    files.flatMap((f) => {
      const m = /node_modules\/((?:@[^/]+\/)?[^/.][^/]*)\//.exec(decodeURIComponent(f));
      return m ? [m[1]!] : [];
    }),
  );
  return { ...result, files, packages };
}

beforeAll(async () => {
  // Inside node_modules/, so the compiled code resolves its dependencies as it does from dist/.
  out = mkdtempSync(path.join(REPO_ROOT, 'node_modules', '.cache-consentflow-startup-test-'));
  await compileJavaScript(out);
  writeFileSync(path.join(out, 'probe.mjs'), PROBE);
}, 120_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

// OpenTelemetry first: it loads only when an OTLP endpoint is configured (client/tracing-config.ts).
const HEAVY = [
  '@opentelemetry/api',
  '@temporalio/interceptors-opentelemetry',
  '@temporalio/client',
  '@temporalio/worker',
  'pg',
  'fastify',
  'nodemailer',
  'node-pg-migrate',
];

describe('compiled start-up', () => {
  test('--help loads commander and nothing of the rule engine, Ajv, Temporal or PostgreSQL', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}decide\b/m);
    expect([...r.packages].sort()).toEqual(['commander']);
  });

  test('decide answers without compiling a schema, and loads no Temporal, PostgreSQL or Fastify', () => {
    const request = {
      id: 'r1',
      contact: {
        status: 'subscribed',
        country: 'DE',
        timezone: 'Europe/Berlin',
        subscriptions: [
          { resource: 'shop', channel: 'email', address: 'a1', status: 'subscribed', priority: 1 },
        ],
      },
      message: { channel: 'email', type: 'campaign' },
      at: '2026-06-15T10:00:00Z',
    };
    const r = run(['decide'], `${JSON.stringify(request)}\n{"message":{"channel":"email"}}\n`);
    const [first, second] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({ id: 'r1', verdict: 'send' });
    // The second line is invalid: the precompiled request validator still names what is wrong.
    expect(JSON.stringify(second)).toMatch(/type/);
    for (const heavy of HEAVY) expect(r.packages.has(heavy), heavy).toBe(false);
    // Ajv's compiler (core, code generation) stays unloaded; only its small runtime helpers are used.
    expect(r.files.filter((f) => /ajv\/dist\/(core|compile\/index|ajv)\.js/.test(f))).toEqual([]);
    // TypeBox is compiled into the bundle instead of ~200 files resolved one by one.
    expect(r.packages.has('@sinclair/typebox')).toBe(false);
  });

  test('an invalid rule file gets the same problems from the compiled CLI as from Ajv at run time', () => {
    const dir = mkdtempSync(path.join(out, 'rules-'));
    for (const f of ['matrix.email.json', 'gates.json', 'message-types.json', 'regions.json'])
      writeFileSync(path.join(dir, f), readFileSync(path.join(REPO_ROOT, 'rules', f)));
    const gates = JSON.parse(readFileSync(path.join(dir, 'gates.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path.join(dir, 'gates.json'), JSON.stringify({ ...gates, colour: 'red', kind: 'gates' }));
    const r = run(['rules', 'validate', dir, '--json']);
    const report = JSON.parse(r.stdout) as { valid: boolean; problems: Array<{ message: string }> };
    expect(report.valid).toBe(false);
    expect(report.problems.map((p) => p.message)).toContain('"colour" is not a known property');
  });
});

describe('precompiled validators', () => {
  test('report the same problems as validators Ajv compiles at run time', async () => {
    const file = path.join(out, 'validators.mjs');
    writeFileSync(file, precompiledValidatorsSource());
    const mod = (await import(pathToFileURL(file).href)) as {
      PRECOMPILED_VALIDATORS: Record<string, ValidateFunction>;
    };
    const ajv = createAjv();
    const samples: unknown[] = [
      {},
      { kind: 'matrix', id: 'Bad Id', channel: 'fax', rows: [{ type: 1 }] },
      { kind: 'gates', gates: [{ id: 'x', when: 'never' }], extra: true },
      { contact: { status: 'subscribd', subscriptions: 'none' }, message: { channel: 'email' } },
      { keywords: { stop: ['STOP', 'STOP'] } },
    ];
    for (const schema of precompiledSchemas()) {
      const pre = mod.PRECOMPILED_VALIDATORS[schemaFingerprint(schema)];
      expect(pre, schema.title).toBeDefined();
      const live = ajv.compile(schema);
      for (const value of samples) {
        const problems = (fn: ValidateFunction) => (fn(value) ? [] : describeErrors(fn.errors ?? []));
        expect(problems(pre!)).toEqual(problems(live));
      }
    }
  });
});
