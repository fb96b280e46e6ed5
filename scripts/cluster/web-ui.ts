// The cluster's Web UI: Temporal's ui-server (scripts/temporal-ui.ts) in front of the cluster's frontend, so
// operators watch campaigns, automations and their search attributes as they do on the dev server. Its config
// is written into the cluster's state folder; it runs in its own process group next to the server and stops
// with it.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnGroup, stopProcess } from './process';

export interface WebUiOptions {
  binary: string;
  stateDir: string;
  ip: string;
  port: number;
  /** The cluster frontend's host:port. */
  grpcAddress: string;
  namespace: string;
  detach: boolean;
  timeoutMs?: number;
}

export interface WebUi {
  pid: number;
  url: string;
  logFile: string;
}

export class WebUiStartError extends Error {
  override name = 'WebUiStartError';
}

/** ui-server's config (its `--env` file): the frontend to talk to, where to listen, the namespace it opens on. */
export function renderWebUiConfig(
  o: Pick<WebUiOptions, 'ip' | 'port' | 'grpcAddress' | 'namespace'>,
): string {
  return [
    `temporalGrpcAddress: ${JSON.stringify(o.grpcAddress)}`,
    `host: ${JSON.stringify(o.ip)}`,
    `port: ${o.port}`,
    'enableUi: true',
    `defaultNamespace: ${JSON.stringify(o.namespace)}`,
    'showTemporalSystemNamespace: false',
    'notifyOnNewVersion: false',
    // Same-origin pages only: no cross-site script may call this operator UI's API. The CSRF cookie goes over
    // plain HTTP: the UI listens on a private address (behind the platform's proxy when it is shared).
    'cors:',
    '  unsafeAllowAllOrigins: false',
    '  cookieInsecure: true',
    '',
  ].join('\n');
}

/** Starts the UI and waits until it answers on /healthz. */
export async function startWebUi(opts: WebUiOptions): Promise<WebUi> {
  const configDir = path.join(opts.stateDir, 'ui-config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(path.join(configDir, 'consentflow.yaml'), renderWebUiConfig(opts));
  const logFile = path.join(opts.stateDir, 'ui.log');
  const { pid, exited } = spawnGroup(
    opts.binary,
    ['--root', opts.stateDir, '--config', 'ui-config', '--env', 'consentflow', 'start'],
    logFile,
    opts.detach,
  );
  const url = `http://${opts.ip}:${opts.port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    if (await healthy(url)) return { pid, url, logFile };
    if (exited() !== undefined || Date.now() > deadline) {
      await stopProcess(pid);
      throw new WebUiStartError(
        exited() !== undefined
          ? `The Temporal Web UI server exited (code ${exited()}) while starting; see ${logFile}.`
          : `The Temporal Web UI server did not answer at ${url} within ${Math.round((opts.timeoutMs ?? 30_000) / 1000)}s; see ${logFile}.`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return res.ok;
  } catch {
    return false;
  }
}
