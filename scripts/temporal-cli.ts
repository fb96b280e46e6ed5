// Finds or builds the Temporal CLI. It cannot be downloaded here, so it is built from its Go module into the
// gitignored .tools/bin. Order: TEMPORAL_CLI_PATH, then .tools/bin, then PATH.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../client/config';
import { findGo, goInstall, GoInstallError, NO_GO_HINT, onPath } from './go-install';

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
  const go = findGo();
  if (!go) {
    throw new TemporalCliError(
      `No Temporal CLI found and no Go toolchain to build one. ${NO_GO_HINT} Or set TEMPORAL_CLI_PATH to an existing \`temporal\` binary.`,
    );
  }
  log(
    `Building the Temporal CLI v${TEMPORAL_CLI_VERSION} from ${TEMPORAL_CLI_MODULE} into .tools/bin (first run only; a few minutes)...`,
  );
  const started = Date.now();
  try {
    await goInstall({
      go,
      packages: [`${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`],
      gobin: TOOLS_BIN,
      log,
    });
  } catch (err) {
    throw err instanceof GoInstallError ? new TemporalCliError(err.message) : err;
  }
  const binary = path.join(TOOLS_BIN, 'temporal');
  const version = cliVersion(binary);
  if (!version) throw new TemporalCliError(`Built ${binary} but it does not run.`);
  log(`Built Temporal CLI (server ${version}) in ${Math.round((Date.now() - started) / 1000)}s: ${binary}`);
  return binary;
}
