// Worker Deployment Versioning. Every worker reports the build id of the workflow code it runs: the sha256 of
// the workflow bundle, written next to the prebuilt bundle by `npm run build` (dist/workflow-bundle.build-id)
// and computed from the bundle a source run makes. Two workers share a build id exactly when they run the
// same workflow code, so Temporal can tell a deploy's old and new workers apart.
//
// Routing by version is opt-in (CONSENTFLOW_WORKER_VERSIONING): a versioned worker gets no workflow task until
// its version is made current (`temporal worker deployment set-current-version`), a step every deploy then
// needs; the dev server, the demo and the tests run unversioned. docs/deployment.md says which behavior we
// chose (AUTO_UPGRADE) and why, against PINNED, for automations that wait for days or weeks.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { VersioningBehavior } from '@temporalio/common';
import type { WorkerDeploymentOptions } from '@temporalio/worker';
import { CliError } from '../client/cli/errors';
import type { WorkflowBundleOption } from './bundle';

/** The build id of a workflow bundle's code: the first 16 hex digits of its sha256. */
export function buildIdOf(code: string): string {
  return createHash('sha256').update(code).digest('hex').slice(0, 16);
}

/** Where `npm run build` writes the build id of dist/workflow-bundle.js. */
export const buildIdPath = (bundlePath: string) => bundlePath.replace(/\.js$/, '.build-id');

/** The build id of the bundle a worker is given: read next to a prebuilt bundle, or hashed from its code. */
export function bundleBuildId(bundle: WorkflowBundleOption): string {
  if ('code' in bundle) return buildIdOf(bundle.code);
  const file = buildIdPath(bundle.codePath);
  // A bundle built before build ids existed: hash it here (a few MB, once per start).
  return existsSync(file)
    ? readFileSync(file, 'utf8').trim()
    : buildIdOf(readFileSync(bundle.codePath, 'utf8'));
}

export interface VersioningSettings {
  /** The Worker Deployment every consentflow worker belongs to (CONSENTFLOW_DEPLOYMENT_NAME). */
  deploymentName: string;
  /** Off: the worker only reports its build id. Otherwise the behavior of workflows that do not choose one. */
  behavior: VersioningBehavior | 'off';
}

const BEHAVIORS: Record<string, VersioningSettings['behavior']> = {
  '': 'off',
  off: 'off',
  'auto-upgrade': 'AUTO_UPGRADE',
  pinned: 'PINNED',
};

export function versioningFromEnv(env: NodeJS.ProcessEnv = process.env): VersioningSettings {
  const raw = (env.CONSENTFLOW_WORKER_VERSIONING ?? '').trim().toLowerCase();
  const behavior = BEHAVIORS[raw];
  if (!behavior)
    throw new CliError(
      `CONSENTFLOW_WORKER_VERSIONING="${env.CONSENTFLOW_WORKER_VERSIONING}" is not one of off, auto-upgrade, ` +
        `pinned (docs/deployment.md, "Worker versioning").`,
      2,
    );
  return { deploymentName: env.CONSENTFLOW_DEPLOYMENT_NAME || 'consentflow', behavior };
}

export function deploymentOptions(settings: VersioningSettings, buildId: string): WorkerDeploymentOptions {
  const version = { deploymentName: settings.deploymentName, buildId };
  return settings.behavior === 'off'
    ? { version, useWorkerVersioning: false }
    : { version, useWorkerVersioning: true, defaultVersioningBehavior: settings.behavior };
}
