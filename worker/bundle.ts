// The workflow code a worker runs. Compiled (the installed package, `npm run build`), it is the bundle built and
// replayed against the history fixtures at build time (dist/workflow-bundle.js), so a worker starts without
// webpack. From the TypeScript sources (a clone, tests) it is bundled once per process and reused by every
// worker the process creates, so an edit to workflows/ is never hidden by a stale build.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export const WORKFLOWS_PATH = path.join(HERE, '..', 'workflows', 'index.ts');
/** Where `npm run build` writes the bundle; the compiled worker loads it from here. */
export const PREBUILT_BUNDLE_PATH = path.join(HERE, '..', 'dist', 'workflow-bundle.js');
/**
 * The same workflows with OpenTelemetry's workflow interceptors (spans for workflow runs, activity and child
 * starts, signals and queries), for a worker with tracing configured (worker/tracing.ts). A separate bundle,
 * so an untraced worker runs no tracing code at all; built when the optional interceptors package is there.
 */
export const PREBUILT_TRACED_BUNDLE_PATH = path.join(HERE, '..', 'dist', 'workflow-bundle-traced.js');

/** The interceptors package's workflow module (its documented `workflowModules` entry). */
export function tracingWorkflowModule(): string {
  return createRequire(path.join(HERE, '..', 'package.json')).resolve(
    '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
  );
}

/** Set to true by the build (esbuild `define`); undefined when the sources run through tsx. */
declare const __CONSENTFLOW_COMPILED__: boolean | undefined;
const COMPILED = typeof __CONSENTFLOW_COMPILED__ !== 'undefined' && __CONSENTFLOW_COMPILED__;

export type WorkflowBundleOption = WorkflowBundleWithSourceMap | { codePath: string };

const cached = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/**
 * The production workflows, or another workflows module (the benchmark adds its baseline); `traced`: with
 * OpenTelemetry's workflow interceptors.
 */
export function workflowBundle(
  workflowsPath = WORKFLOWS_PATH,
  { traced = false }: { traced?: boolean } = {},
): Promise<WorkflowBundleOption> {
  if (workflowsPath === WORKFLOWS_PATH && COMPILED) {
    const prebuilt = traced ? PREBUILT_TRACED_BUNDLE_PATH : PREBUILT_BUNDLE_PATH;
    if (!existsSync(prebuilt))
      return Promise.reject(
        new Error(
          `the workflow bundle ${prebuilt} is missing; run \`npm run build\` again` +
            (traced ? ' with @temporalio/interceptors-opentelemetry installed' : ''),
        ),
      );
    return Promise.resolve({ codePath: prebuilt });
  }
  const key = `${traced ? 'traced:' : ''}${workflowsPath}`;
  let bundle = cached.get(key);
  if (!bundle) {
    bundle = buildWorkflowBundle(workflowsPath, undefined, traced ? [tracingWorkflowModule()] : []);
    cached.set(key, bundle);
  }
  return bundle;
}

/**
 * Bundles workflow code with webpack. The bundler reports through its logger at `info` the whole webpack
 * statistics (every module, on every worker start), with any warning buried in it; that listing is dropped,
 * and each webpack warning (a module that may break determinism, a missing export, a size limit) is printed
 * on its own to stderr instead, where an operator sees it. Errors still fail the bundle.
 */
export function buildWorkflowBundle(
  workflowsPath = WORKFLOWS_PATH,
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  workflowInterceptorModules: string[] = [],
): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules,
    logger: {
      log: noop,
      trace: noop,
      debug: noop,
      info: noop,
      warn: (message) => warn(`workflow bundle: ${message}`),
      error: (message) => warn(`workflow bundle: ${message}`),
    },
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [
        ...(config.plugins ?? []),
        {
          apply(compiler) {
            compiler.hooks.done.tap('consentflow-warnings', (stats) => {
              for (const w of stats.compilation.warnings) warn(`workflow bundle warning: ${w.message}`);
            });
          },
        },
      ],
    }),
  });
}

function noop(): void {}
