// Finds or builds the Temporal CLI. It cannot be downloaded here, so it is built from its Go module into the
// gitignored .tools/bin. Order: TEMPORAL_CLI_PATH, then .tools/bin, then PATH.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../client/config';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** The newest release whose go.mod has no `replace` directive; later ones cannot be `go install`ed. */
export const TEMPORAL_CLI_VERSION = '1.5.1';
// `go install` does not stamp the CLI's own version (it prints 0.0.0-DEV), so the embedded server's version
// is what is checked: 1.29 is what CLI v1.5.1 embeds.
const MIN_SERVER_VERSION: [number, number, number] = [1, 29, 0];
export const TOOLS_BIN = path.resolve(
  process.env.CONSENTFLOW_TOOLS_DIR ?? path.join(REPO_ROOT, '.tools'),
  'bin',
);

export class TemporalCliError extends Error {
  override name = 'TemporalCliError';
}

/** The version of the Temporal server a CLI binary embeds, e.g. `1.29.1`, or undefined if it does not run. */
export function cliVersion(binary: string): string | undefined {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (out.status !== 0) return undefined;
  return /Server (\d+\.\d+\.\d+)/.exec(out.stdout)?.[1];
}

function versionOk(version: string): boolean {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const a = parts[i] ?? 0;
    const b = MIN_SERVER_VERSION[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** A usable binary without building, or undefined. */
export function findTemporalCli(): string | undefined {
  const candidates = [process.env.TEMPORAL_CLI_PATH, path.join(TOOLS_BIN, 'temporal'), onPath('temporal')];
  for (const candidate of candidates) {
    if (!candidate || !existsSync(candidate)) continue;
    const version = cliVersion(candidate);
    if (version && versionOk(version)) return candidate;
  }
  if (process.env.TEMPORAL_CLI_PATH) {
    throw new TemporalCliError(
      `TEMPORAL_CLI_PATH=${process.env.TEMPORAL_CLI_PATH} is not a working Temporal CLI (embedded server >= ${MIN_SERVER_VERSION.join('.')}). ` +
        `Unset it to let consentflow build one, or point it at a working binary.`,
    );
  }
  return undefined;
}

/** Returns the path of a usable Temporal CLI, building it with `go install` when none is found. */
export async function ensureTemporalCli(
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<string> {
  const found = findTemporalCli();
  if (found) return found;
  const go =
    process.env.GO ??
    onPath('go') ??
    (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new TemporalCliError(
      'No Temporal CLI found and no Go toolchain to build one. Install Go >= 1.23 (e.g. apt-get install golang-go, ' +
        'or unpack Go into /usr/local/go), or set TEMPORAL_CLI_PATH to an existing `temporal` binary.',
    );
  }
  log(
    `Building the Temporal CLI v${TEMPORAL_CLI_VERSION} from ${TEMPORAL_CLI_MODULE} into .tools/bin (first run only; a few minutes)...`,
  );
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', `${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`], {
      env: { ...process.env, GOBIN: TOOLS_BIN, GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    let downloads = 0;
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      downloads += (text.match(/go: downloading/g) ?? []).length;
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const heartbeat = setInterval(() => {
      log(
        `  ... still building (${Math.round((Date.now() - started) / 1000)}s, ${downloads} modules downloaded)`,
      );
    }, 15_000);
    child.on('error', (err) => {
      clearInterval(heartbeat);
      reject(new TemporalCliError(`Could not run ${go}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearInterval(heartbeat);
      if (code === 0) resolve();
      else reject(new TemporalCliError(`go install failed (exit ${code}). Last output:\n${tail}`));
    });
  });
  const binary = path.join(TOOLS_BIN, 'temporal');
  const version = cliVersion(binary);
  if (!version) throw new TemporalCliError(`Built ${binary} but it does not run.`);
  log(`Built Temporal CLI (server ${version}) in ${Math.round((Date.now() - started) / 1000)}s: ${binary}`);
  return binary;
}
