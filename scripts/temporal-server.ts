// Finds or builds the production Temporal server and its SQL schema tool. Like the CLI (scripts/temporal-cli.ts)
// they cannot be downloaded here, so Go builds them from the server's module into the gitignored .tools/bin,
// at the version the CLI's dev server embeds, so both servers the project runs are the same release.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { findGo, goModuleDir, GoInstallError, installBinaries, NO_GO_HINT } from './go-install';
import { TOOLS_BIN } from './temporal-cli';

export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
/** What Temporal CLI v1.5.1 embeds (`temporal --version`: Server 1.29.1); its go.mod has no `replace`. */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
const PACKAGES = { server: 'cmd/server', sqlTool: 'cmd/tools/sql' } as const;
/** Temporal's own images use these names; `go install` would name them `server` and `sql`. */
export const BINARY_NAMES = { server: 'temporal-server', sqlTool: 'temporal-sql-tool' } as const;

export class TemporalServerError extends Error {
  override name = 'TemporalServerError';
}

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
  version: string;
}

/** `1.29.1` from `temporal-server --version` (urfave/cli prints "<name> version <v>"), or undefined. */
export function binaryVersion(binary: string): string | undefined {
  if (!existsSync(binary)) return undefined;
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (out.status !== 0) return undefined;
  return /version (\d+\.\d+\.\d+)/.exec(out.stdout)?.[1];
}

/** Both binaries at the wanted version without building, or undefined. */
export function findTemporalServer(binDir = TOOLS_BIN): TemporalServerBinaries | undefined {
  const server = path.join(binDir, BINARY_NAMES.server);
  const sqlTool = path.join(binDir, BINARY_NAMES.sqlTool);
  if (binaryVersion(server) !== TEMPORAL_SERVER_VERSION) return undefined;
  if (binaryVersion(sqlTool) !== TEMPORAL_SERVER_VERSION) return undefined;
  return { server, sqlTool, version: TEMPORAL_SERVER_VERSION };
}

/**
 * Builds Temporal binaries that are missing (the server and its SQL tool here, the Web UI server in
 * temporal-ui.ts): Go or a clear error, one `go install` of `packages` (installBinaries), its failure as a
 * TemporalServerError, then `find` again to prove the build runs.
 */
export async function buildTemporalBinaries<T>(o: {
  /** What is built, for the errors: "Temporal server". */
  name: string;
  /** The line logged before the build starts. */
  announce: string;
  binDir: string;
  packages: { path: string; from: string; to: string }[];
  find: () => T | undefined;
  log: (line: string) => void;
}): Promise<{ built: T; seconds: number }> {
  const go = findGo();
  if (!go)
    throw new TemporalServerError(
      `No ${o.name} in ${o.binDir} and no Go toolchain to build one. ${NO_GO_HINT}`,
    );
  o.log(o.announce);
  const started = Date.now();
  try {
    await installBinaries({ go, binDir: o.binDir, packages: o.packages, log: o.log });
  } catch (err) {
    throw err instanceof GoInstallError ? new TemporalServerError(err.message) : err;
  }
  const built = o.find();
  if (!built) throw new TemporalServerError(`Built the ${o.name} into ${o.binDir} but it does not run.`);
  return { built, seconds: Math.round((Date.now() - started) / 1000) };
}

/** Returns the server and schema tool, building both with one `go install` when either is missing or at another version. */
export async function ensureTemporalServer(
  log: (line: string) => void = (l) =>
    process.stderr.write(`${l}
`),
  binDir = TOOLS_BIN,
): Promise<TemporalServerBinaries> {
  const found = findTemporalServer(binDir);
  if (found) return found;
  const at = `@v${TEMPORAL_SERVER_VERSION}`;
  const { built, seconds } = await buildTemporalBinaries({
    name: 'Temporal server',
    announce:
      `Building the Temporal server v${TEMPORAL_SERVER_VERSION} and temporal-sql-tool from ${TEMPORAL_SERVER_MODULE} ` +
      `into ${path.relative(process.cwd(), binDir) || binDir} (first run only; minutes with a cold Go cache)...`,
    binDir,
    packages: [
      { path: `${TEMPORAL_SERVER_MODULE}/${PACKAGES.server}${at}`, from: 'server', to: BINARY_NAMES.server },
      { path: `${TEMPORAL_SERVER_MODULE}/${PACKAGES.sqlTool}${at}`, from: 'sql', to: BINARY_NAMES.sqlTool },
    ],
    find: () => findTemporalServer(binDir),
    log,
  });
  log(`Built Temporal server ${built.version} in ${seconds}s: ${built.server}`);
  return built;
}

export interface SchemaDirs {
  /** `schema/postgresql/v12/temporal/versioned` of the server module. */
  temporal: string;
  visibility: string;
}

/**
 * The versioned PostgreSQL schemas from the server module's source (the Go module cache; downloaded if it is not
 * there), the same release as the binaries. Undefined without Go: the schema tool then uses the copy it embeds.
 */
export function postgresSchemaDirs(): SchemaDirs | undefined {
  const go = findGo();
  if (!go) return undefined;
  let moduleDir: string;
  try {
    moduleDir = goModuleDir(go, `${TEMPORAL_SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}`);
  } catch (err) {
    throw new TemporalServerError((err as Error).message);
  }
  const base = path.join(moduleDir, 'schema', 'postgresql', 'v12');
  const dirs = {
    temporal: path.join(base, 'temporal', 'versioned'),
    visibility: path.join(base, 'visibility', 'versioned'),
  };
  for (const dir of Object.values(dirs)) {
    if (!existsSync(path.join(dir, 'v1.0')))
      throw new TemporalServerError(`The server module has no PostgreSQL schema at ${dir}.`);
  }
  return dirs;
}
