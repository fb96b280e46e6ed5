// Import benchmark: 100k generated contacts (10k with --quick, or --rows N) through the same code path as
// `consentflow contacts import`, in a fresh database, next to two raw COPY baselines in the same run:
//   - the yardstick: COPY of the same file into a plain text table (no checks, no indexes);
//   - the floor: COPY of exactly the rows the import landed (contacts, subscriptions, ledger) into a second
//     freshly migrated database, with its constraints and indexes. No importer can beat this one.
// Target (issue #4): the import runs at least half as fast as the raw COPY.
import { mkdtempSync, rmSync, createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { createPool, ensureDatabase, type Pool } from '../db/pool';
import { migrate } from '../db/migrate';
import { importContacts } from '../db/contacts/import/run';
import { loadSettings } from '../client/config';
import { generateContactsCsv } from './import-data';

const LANDED_TABLES = ['contacts', 'subscriptions', 'consent_ledger'] as const;

async function freshDatabase(base: URL, suffix: string): Promise<string> {
  const url = new URL(base);
  url.pathname = `/cf_bench_import_${suffix}_${process.pid}_${Date.now().toString(36)}`;
  await ensureDatabase(url.toString());
  await migrate(url.toString());
  return url.toString();
}

async function dropDatabase(url: string): Promise<void> {
  const admin = new pg.Client({
    connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString(),
  });
  await admin.connect();
  try {
    const name = new URL(url).pathname.slice(1);
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

async function copyOut(pool: Pool, table: string): Promise<Buffer> {
  const client = await pool.connect();
  try {
    const chunks: Buffer[] = [];
    await pipeline(
      client.query(copyTo(`COPY ${table} TO STDOUT`)),
      new Writable({
        write(chunk: Buffer, _e, done) {
          chunks.push(chunk);
          done();
        },
      }),
    );
    return Buffer.concat(chunks);
  } finally {
    client.release();
  }
}

/** Seconds to COPY the file into a plain table of text columns. */
async function copyFileIntoPlainTable(pool: Pool, file: string): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query(`CREATE TABLE raw_contacts (email text, phone text, first_name text, last_name text,
      gender text, language text, country text, timezone text, birthday text, resource text, email_status text,
      sms_status text, categories text)`);
    const t = performance.now();
    await pipeline(
      createReadStream(file),
      client.query(copyFrom(`COPY raw_contacts FROM STDIN WITH (FORMAT csv, HEADER true)`)),
    );
    return (performance.now() - t) / 1000;
  } finally {
    client.release();
  }
}

/** Seconds to COPY the landed rows of every table into the same, empty, migrated tables, in one transaction. */
async function copyLandedRows(dumps: Map<string, Buffer>, url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const t = performance.now();
    await client.query('BEGIN');
    for (const table of LANDED_TABLES) {
      await pipeline(Readable.from([dumps.get(table)!]), client.query(copyFrom(`COPY ${table} FROM STDIN`)));
    }
    await client.query('COMMIT');
    return (performance.now() - t) / 1000;
  } finally {
    await client.end();
  }
}

export async function benchImport(opts: {
  quick: boolean;
  rows?: number;
  databaseUrl?: string;
}): Promise<Record<string, unknown>> {
  const rows = opts.rows ?? (opts.quick ? 10_000 : 100_000);
  const base = new URL(opts.databaseUrl ?? loadSettings().databaseUrl);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-bench-'));
  const file = path.join(dir, 'contacts.csv');
  await generateContactsCsv(file, rows);
  const url = await freshDatabase(base, 'a');
  const oneLaneUrl = await freshDatabase(base, 'c');
  const floorUrl = await freshDatabase(base, 'b');
  const pool = createPool(url, 4);
  const oneLanePool = createPool(oneLaneUrl, 4);
  const timedImport = async (into: Pool, connections: number): Promise<number> => {
    const t = performance.now();
    const summary = await importContacts(into, file, { connections });
    if (summary.inserted !== rows)
      throw new Error(
        `bench import landed ${summary.inserted} of ${rows} rows (${summary.rejected} rejected)`,
      );
    const seconds = (performance.now() - t) / 1000;
    // Outside the clock: leave autovacuum nothing to do on these tables while the next phase is timed.
    await into.query('VACUUM (ANALYZE) contacts, subscriptions, consent_ledger');
    return seconds;
  };
  try {
    const importSeconds = await timedImport(pool, 2);
    const oneLaneSeconds = await timedImport(oneLanePool, 1);
    const copySeconds = await copyFileIntoPlainTable(pool, file);
    const dumps = new Map<string, Buffer>();
    for (const table of LANDED_TABLES) dumps.set(table, await copyOut(pool, table));
    const floorSeconds = await copyLandedRows(dumps, floorUrl);
    const counts = await pool.query<{ subs: number; ledger: number }>(
      `SELECT (SELECT count(*)::int FROM subscriptions) AS subs, (SELECT count(*)::int FROM consent_ledger) AS ledger`,
    );
    const rate = (s: number) => Math.round(rows / s);
    const result = {
      rows,
      importSeconds: Number(importSeconds.toFixed(2)),
      importRowsPerSecond: rate(importSeconds),
      copySeconds: Number(copySeconds.toFixed(3)),
      copyRowsPerSecond: rate(copySeconds),
      ratio: Number((copySeconds / importSeconds).toFixed(3)),
      target: 0.5,
      landedCopySeconds: Number(floorSeconds.toFixed(2)),
      landedCopyRowsPerSecond: rate(floorSeconds),
      ratioToLandedCopy: Number((floorSeconds / importSeconds).toFixed(3)),
      oneConnectionSeconds: Number(oneLaneSeconds.toFixed(2)),
      oneConnectionRowsPerSecond: rate(oneLaneSeconds),
      oneConnectionRatioToLandedCopy: Number((floorSeconds / oneLaneSeconds).toFixed(3)),
      subscriptionsWritten: counts.rows[0]!.subs,
      ledgerRowsWritten: counts.rows[0]!.ledger,
    };
    process.stdout.write(
      `contacts import (2 connections): ${rows} rows in ${result.importSeconds}s = ${result.importRowsPerSecond} rows/s ` +
        `(${result.subscriptionsWritten} subscriptions, ${result.ledgerRowsWritten} ledger rows)\n` +
        `contacts import (1 connection):  ${rows} rows in ${result.oneConnectionSeconds}s = ${result.oneConnectionRowsPerSecond} rows/s\n` +
        `raw COPY of the file into a plain text table: ${result.copySeconds}s = ${result.copyRowsPerSecond} rows/s\n` +
        `COPY of the landed rows into the real tables: ${result.landedCopySeconds}s = ${result.landedCopyRowsPerSecond} contacts/s\n` +
        `ratio to COPY of the landed rows: ${result.ratioToLandedCopy} (1 connection: ${result.oneConnectionRatioToLandedCopy}); ` +
        `to the plain-table COPY: ${result.ratio} (target >= 0.5)\n`,
    );
    return result;
  } finally {
    await pool.end();
    await oneLanePool.end();
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(url);
    await dropDatabase(oneLaneUrl);
    await dropDatabase(floorUrl);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--rows');
  await benchImport({
    quick: process.argv.includes('--quick'),
    rows: i > 0 ? Number(process.argv[i + 1]) : undefined,
  });
}
