// `npm run build`: the installable package in dist/. Three parts, each checked before the next:
//   1. dist/cli.mjs and dist/index.mjs: the CLI and the client API as plain JavaScript (esbuild; dependencies
//      stay imports of node_modules), so the installed `consentflow` starts without compiling TypeScript;
//   2. dist/types/: type declarations of the client API (tsc);
//   3. dist/workflow-bundle.js: the workflow code bundled once here instead of at every worker start, replayed
//      against every history in test/fixtures/histories before it is kept (a determinism break fails the build).
// Run: npm run build (`-- --js-only`: only part 1, while working on start-up)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { REPO_ROOT } from '../client/config';
import {
  buildWorkflowBundle,
  PREBUILT_BUNDLE_PATH,
  PREBUILT_TRACED_BUNDLE_PATH,
  tracingWorkflowModule,
} from '../worker/bundle';
import { buildIdOf, buildIdPath } from '../worker/versioning';
import { replayFixtures } from './replay-fixtures';
import { precompiledValidatorsSource } from './precompile-validators';

const DIST = path.join(REPO_ROOT, 'dist');

/**
 * Modules find their data files (rules, templates, automations, migrations) relative to their own source file:
 * `new URL('./sms-keywords.json', import.meta.url)`. Bundled, every module would share the bundle's URL, so each
 * module's `import.meta.url` is rewritten to the URL its source has in the package (every output file sits
 * directly in the output folder, dist/ in the package). The data files ship as they are in the
 * clone, and no module needs to know whether it runs from source or compiled.
 */
const sourceUrls = (outdir: string): Plugin => ({
  name: 'source-import-meta-url',
  setup(b) {
    const root = path.relative(outdir, REPO_ROOT).split(path.sep).join('/');
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const rel = path.relative(REPO_ROOT, args.path).split(path.sep).join('/');
      const source = readFileSync(args.path, 'utf8');
      const url = `new URL(${JSON.stringify(`${root}/${rel}`)}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
});

/**
 * The schema validators compiled ahead of time (scripts/precompile-validators.ts) in place of the empty
 * rules/precompiled-validators.ts, so the compiled package validates rule files and requests without
 * running Ajv's compiler at start-up.
 */
const precompiledValidators = (): Plugin => ({
  name: 'precompiled-validators',
  setup(b) {
    const stub = path.join(REPO_ROOT, 'rules', 'precompiled-validators.ts');
    b.onLoad({ filter: /precompiled-validators\.ts$/ }, (args) =>
      args.path === stub
        ? { contents: precompiledValidatorsSource(), loader: 'js', resolveDir: path.dirname(stub) }
        : undefined,
    );
  },
});

/**
 * TypeBox is compiled into the bundle instead of imported from node_modules at run time: its ES build is some
 * 200 files, and resolving and loading each on its own cost `decide` more start-up than running them. It has
 * no dependencies and marks schemas with global symbols (Symbol.for), so the bundled copy and an app's own
 * TypeBox understand each other's schemas. Every other package stays an import of node_modules.
 */
const BUNDLED_PACKAGE = /^@sinclair\/typebox(\/|$)/;

const externalPackages = (): Plugin => ({
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      BUNDLED_PACKAGE.test(args.path) ? undefined : { path: args.path, external: true },
    );
  },
});

/** The CLI and the client API as JavaScript in `outdir` (dist/; the start-up benchmark uses its own). */
export async function compileJavaScript(outdir = DIST): Promise<void> {
  const result = await build({
    entryPoints: { cli: 'client/cli/main.ts', index: 'client/index.ts' },
    absWorkingDir: REPO_ROOT,
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    // Compiled code uses the workflow bundle built next to it (worker/bundle.ts).
    define: { __CONSENTFLOW_COMPILED__: 'true' },
    plugins: [externalPackages(), precompiledValidators(), sourceUrls(outdir)],
    logLevel: 'warning',
  });
  if (result.errors.length) throw new Error('esbuild failed');
}

function emitDeclarations(outDir = path.join(DIST, 'types')): void {
  execFileSync(
    process.execPath,
    [
      path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      outDir,
    ],
    { cwd: REPO_ROOT, stdio: 'inherit' },
  );
  addExtensions(outDir);
}

/**
 * The sources import without extensions (moduleResolution "Bundler"); an app on "NodeNext" only follows
 * relative imports in declarations that name the file, so each gets `.js` (or `/index.js`) here.
 */
export function addExtensions(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) addExtensions(file);
    else if (entry.name.endsWith('.d.ts')) {
      const text = readFileSync(file, 'utf8').replace(
        /(from |import\()(['"])(\.{1,2}\/[^'"]*?)\2/g,
        (whole, head: string, q: string, spec: string) => {
          if (/\.(js|json)$/.test(spec)) return whole;
          const target = path.resolve(dir, spec);
          if (existsSync(`${target}.d.ts`)) return `${head}${q}${spec}.js${q}`;
          if (existsSync(path.join(target, 'index.d.ts'))) return `${head}${q}${spec}/index.js${q}`;
          return whole;
        },
      );
      writeFileSync(file, text);
    }
  }
}

/** Bundles, replays every fixture history through the bundle, then keeps it at `target`; returns its code. */
async function bundleReplayed(target: string, interceptorModules: string[] = []): Promise<string> {
  const { code } = await buildWorkflowBundle(undefined, undefined, interceptorModules);
  const candidate = `${target}.tmp`;
  writeFileSync(candidate, code);
  // The traced bundle hands its spans to an `exporter` sink; a replay's spans go nowhere.
  const replayed = await replayFixtures(
    { codePath: candidate },
    interceptorModules.length ? { exporter: { export: { fn: () => undefined } } } : undefined,
  );
  if (replayed.failures.length) {
    rmSync(candidate);
    throw new Error(
      `the workflow bundle ${path.basename(target)} does not replay ${replayed.failures.length} fixture(s):\n` +
        replayed.failures.map((f) => `  ${f.file}: ${f.error}`).join('\n'),
    );
  }
  // The source map is inline in the code; `sourceMap` repeats it.
  writeFileSync(target, code);
  rmSync(candidate);
  console.log(
    `dist/${path.basename(target)}: ${(code.length / 1024).toFixed(0)} KiB, ` +
      `replays all ${replayed.count} fixture histories`,
  );
  return code;
}

async function bundleWorkflows(): Promise<void> {
  const code = await bundleReplayed(PREBUILT_BUNDLE_PATH);
  // The worker's build id (Worker Deployment Versioning) is this bundle's hash: written once here.
  const buildId = buildIdOf(code);
  writeFileSync(buildIdPath(PREBUILT_BUNDLE_PATH), `${buildId}\n`);
  console.log(`build id ${buildId}`);
  // The traced bundle (OpenTelemetry's workflow interceptors, for a worker with an OTLP endpoint set) when the
  // optional interceptors package is installed. Same build id: tracing adds spans and headers, no command.
  let interceptors: string | undefined;
  try {
    interceptors = tracingWorkflowModule();
  } catch {
    console.log(
      'dist/workflow-bundle-traced.js: not built (@temporalio/interceptors-opentelemetry is not installed); ' +
        'a worker with OTEL_EXPORTER_OTLP_ENDPOINT set will ask for it',
    );
    return;
  }
  await bundleReplayed(PREBUILT_TRACED_BUNDLE_PATH, [interceptors]);
  writeFileSync(buildIdPath(PREBUILT_TRACED_BUNDLE_PATH), `${buildId}\n`);
}

async function main(): Promise<void> {
  const t0 = performance.now();
  for (const f of existsSync(DIST) ? readdirSync(DIST) : [])
    if (!process.argv.includes('--js-only') || f.endsWith('.mjs') || f.endsWith('.map'))
      rmSync(path.join(DIST, f), { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  await compileJavaScript();
  console.log('dist/cli.mjs, dist/index.mjs: compiled');
  if (process.argv.includes('--js-only')) return;
  emitDeclarations();
  if (!existsSync(path.join(DIST, 'types', 'client', 'index.d.ts')))
    throw new Error('tsc wrote no dist/types/client/index.d.ts');
  console.log('dist/types/: client API declarations');
  // The replay runs workers; their state changes at INFO would bury the build's own lines.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  await bundleWorkflows();
  console.log(`built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await main();
  } catch (err) {
    console.error(`build failed: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
