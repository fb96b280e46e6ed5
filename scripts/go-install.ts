// `go install module@version` with progress lines, shared by the Temporal CLI and the Temporal server builds:
// neither can be downloaded here, both are Go modules without `replace` directives, so Go builds them.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

export class GoInstallError extends Error {
  override name = 'GoInstallError';
}

export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The Go toolchain: $GO, then `go` on PATH, then the tarball's usual place; undefined when there is none. */
export function findGo(): string | undefined {
  return (
    process.env.GO ??
    onPath('go') ??
    (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined)
  );
}

export const NO_GO_HINT =
  'Install Go >= 1.23 (e.g. apt-get install golang-go, or unpack Go into /usr/local/go), or set GO to its binary.';

/** Where Go keeps the unpacked source of `module@version`, downloading it first if needed. */
export function goModuleDir(go: string, moduleAtVersion: string): string {
  const out = spawnSync(go, ['mod', 'download', '-json', moduleAtVersion], {
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  let parsed: { Dir?: string; Error?: string } = {};
  try {
    parsed = JSON.parse(out.stdout || '{}') as typeof parsed;
  } catch {
    /* reported below */
  }
  if (out.status !== 0 || !parsed.Dir) {
    const why = parsed.Error ?? (out.stderr || out.error?.message || `exit ${out.status}`).trim();
    throw new GoInstallError(`go mod download ${moduleAtVersion} failed: ${why}`);
  }
  return parsed.Dir;
}

export interface GoInstallOptions {
  go: string;
  /** Package paths with their version, e.g. `go.temporal.io/server/cmd/server@v1.29.1`. */
  packages: string[];
  /** Where the binaries go (GOBIN); they are named after the last element of each package path. */
  gobin: string;
  log: (line: string) => void;
  /** How often to print "still building" (default 15 s). */
  heartbeatMs?: number;
}

/** Runs `go install`; rejects with the last lines of Go's output when it fails. */
export function goInstall(opts: GoInstallOptions): Promise<void> {
  const started = Date.now();
  return new Promise<void>((resolve, reject) => {
    const child = spawn(opts.go, ['install', ...opts.packages], {
      env: { ...process.env, GOBIN: opts.gobin, GOFLAGS: '-mod=mod' },
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
      opts.log(
        `  ... still building (${Math.round((Date.now() - started) / 1000)}s, ${downloads} modules downloaded)`,
      );
    }, opts.heartbeatMs ?? 15_000);
    child.on('error', (err) => {
      clearInterval(heartbeat);
      reject(new GoInstallError(`Could not run ${opts.go}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearInterval(heartbeat);
      if (code === 0) resolve();
      else reject(new GoInstallError(`go install failed (exit ${code}). Last output:\n${tail}`));
    });
  });
}

/**
 * `go install`s `packages` into `binDir` under the names given: built into a scratch folder first and renamed
 * into place, so an interrupted build never leaves a half-written binary a later run would take for a good one.
 */
export async function installBinaries(opts: {
  go: string;
  binDir: string;
  /** `go install` names a binary after its package's last path element (`from`); it is renamed to `to`. */
  packages: { path: string; from: string; to: string }[];
  log: (line: string) => void;
}): Promise<void> {
  mkdirSync(opts.binDir, { recursive: true });
  const scratch = mkdtempSync(path.join(opts.binDir, '.build-'));
  try {
    await goInstall({
      go: opts.go,
      packages: opts.packages.map((p) => p.path),
      gobin: scratch,
      log: opts.log,
    });
    for (const p of opts.packages) renameSync(path.join(scratch, p.from), path.join(opts.binDir, p.to));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
