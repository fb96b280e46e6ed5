// PostgreSQL connections. Every failure to reach the server becomes one clear, actionable error instead of
// a bare driver stack trace.
import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export class DatabaseUnreachableError extends Error {
  constructor(url: string, cause: unknown, fix?: string) {
    const where = describeUrl(url);
    const why =
      cause instanceof Error ? cause.message || (cause as NodeJS.ErrnoException).code : String(cause);
    super(
      fix
        ? `${why} at ${where}; ${fix}`
        : `PostgreSQL is not reachable at ${where} (${why}). Check DATABASE_URL, or start the local server with: ` +
            `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
    );
    this.name = 'DatabaseUnreachableError';
  }
}

/** host:port/database of a connection URL, without credentials. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

function isConnectionFailure(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'ETIMEDOUT' ||
    code === 'ECONNRESET' ||
    code === '28P01' || // invalid password
    code === '28000' || // role/auth rejected
    code === '3D000' // database does not exist
  );
}

/** Parses a connection URL, or throws one line that says what a valid one looks like. */
export function parseDatabaseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      `DATABASE_URL "${url}" is not a URL. Expected e.g. postgres://postgres@127.0.0.1:5432/consentflow.`,
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`DATABASE_URL must start with postgres:// (got ${parsed.protocol}//).`);
  }
  return parsed;
}

export interface PoolOptions {
  /** Where the one line about lost connections goes (default: stderr). */
  log?: (line: string) => void;
}

export function createPool(url: string, max = 10, opts: PoolOptions = {}): Pool {
  parseDatabaseUrl(url);
  // jit=off: every statement here is short, and the contact writer's temp tables have no statistics, so the
  // planner guessed them huge and JIT-compiled nearly every write (~30 ms each, more than the write itself).
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5_000,
    // Keep what the operator set in PGOPTIONS (libpq's variable; pg would otherwise drop it).
    options: ['-c jit=off', process.env.PGOPTIONS].filter(Boolean).join(' '),
  });
  // A connection whose server process goes away (failover, pg_terminate_backend, idle timeout) emits 'error':
  // on the pool when idle, on the client when checked out (deliver holds one over a provider call). Unheard,
  // either kills the process. The pool drops the client; a checked-out one fails its next query, which the
  // holder handles like any failed query.
  const lost = reportLostConnections(opts.log ?? ((line) => process.stderr.write(`${line}\n`)));
  pool.on('error', lost);
  pool.on('connect', (client) => client.on('error', lost));
  return pool;
}

/** One line for a burst of lost connections (a failover drops them all at once), then one per minute at most. */
function reportLostConnections(log: (line: string) => void): (err: Error) => void {
  let quietUntil = 0;
  return (err) => {
    const now = Date.now();
    if (now < quietUntil) return;
    quietUntil = now + 60_000;
    const code = (err as { code?: string }).code;
    log(
      `PostgreSQL closed a pooled connection${code ? ` (code ${code})` : ''}; ` +
        `the next query opens a new one. Further losses within a minute are not logged.`,
    );
  };
}

/** Opens one connection to prove the server is there; throws DatabaseUnreachableError otherwise. */
export async function assertReachable(pool: Pool, url: string): Promise<void> {
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    // The server answered: only the database is missing, and db migrate creates it.
    if ((err as { code?: string }).code === '3D000')
      throw new DatabaseUnreachableError(
        url,
        err,
        `run: consentflow db migrate (it creates the database and its tables)`,
      );
    if (isConnectionFailure(err)) throw new DatabaseUnreachableError(url, err);
    throw err;
  }
}

/** Creates the URL's database when it is missing, by connecting to the server's `postgres` database. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = parseDatabaseUrl(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) throw new Error(`DATABASE_URL ${describeUrl(url)} names no database.`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new DatabaseUnreachableError(url, err);
  }
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((err: { code?: string }) => {
        // Created concurrently by another worker: fine. PostgreSQL says so with 42P04, or with 23505 when
        // both CREATEs got past the existence check at once.
        if (err.code !== '42P04' && err.code !== '23505') throw err;
      });
    }
  } finally {
    await client.end();
  }
}
