// Import benchmark: 100k generated contacts (10k with quick) through the same code path as
// `consentflow contacts import`, next to a raw COPY of the same file into a plain table, in a fresh database.
// Target: the import runs at least half as fast as the raw COPY.
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createPool, ensureDatabase } from '../db/pool';
import { migrate } from '../db/migrate';
import { importContacts } from '../db/contacts/import/run';
import { loadSettings } from '../client/config';

const COUNTRIES = [
  ['GB', 'Europe/London', '+4477009'],
  ['US', 'America/Chicago', '+1415555'],
  ['DE', 'Europe/Berlin', '+4915112'],
  ['FR', 'Europe/Paris', '+3361234'],
] as const;

async function generate(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  const write = (s: string) =>
    out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  await write(
    'email,phone,first_name,last_name,gender,language,country,timezone,birthday,resource,email_status,sms_status,categories\n',
  );
  for (let i = 0; i < rows; i++) {
    const [country, tz, prefix] = COUNTRIES[i % COUNTRIES.length]!;
    const phone = `${prefix}${String(i).padStart(6, '0')}`;
    const sms = i % 3 === 0 ? 'non_subscribed' : '';
    await write(
      `user${i}@example.com,${phone},First${i},Last${i},${i % 3},en,${country},${tz},19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10},shop,,${sms},news;promo:unsubscribed\n`,
    );
  }
  await new Promise<void>((r) => out.end(() => r()));
}

export async function benchImport(opts: {
  quick: boolean;
  databaseUrl?: string;
}): Promise<Record<string, unknown>> {
  const rows = opts.quick ? 10_000 : 100_000;
  const base = new URL(opts.databaseUrl ?? loadSettings().databaseUrl);
  base.pathname = `/cf_bench_import_${process.pid}_${Date.now().toString(36)}`;
  const url = base.toString();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-bench-'));
  const file = path.join(dir, 'contacts.csv');
  await generate(file, rows);
  await ensureDatabase(url);
  await migrate(url);
  const pool = createPool(url, 4);
  try {
    let t = performance.now();
    const summary = await importContacts(pool, file);
    const importSeconds = (performance.now() - t) / 1000;
    if (summary.inserted !== rows)
      throw new Error(
        `bench import landed ${summary.inserted} of ${rows} rows (${summary.rejected} rejected)`,
      );

    const client = await pool.connect();
    let copySeconds: number;
    try {
      await client.query(`CREATE TABLE raw_contacts (email text, phone text, first_name text, last_name text, gender text,
        language text, country text, timezone text, birthday text, resource text, email_status text, sms_status text, categories text)`);
      t = performance.now();
      await pipeline(
        createReadStream(file),
        client.query(copyFrom(`COPY raw_contacts FROM STDIN WITH (FORMAT csv, HEADER true)`)),
      );
      copySeconds = (performance.now() - t) / 1000;
    } finally {
      client.release();
    }
    const counts = await pool.query<{ subs: number; ledger: number }>(
      `SELECT (SELECT count(*)::int FROM subscriptions) AS subs, (SELECT count(*)::int FROM consent_ledger) AS ledger`,
    );
    const importRate = Math.round(rows / importSeconds);
    const copyRate = Math.round(rows / copySeconds);
    const result = {
      rows,
      importSeconds: Number(importSeconds.toFixed(2)),
      importRowsPerSecond: importRate,
      copySeconds: Number(copySeconds.toFixed(2)),
      copyRowsPerSecond: copyRate,
      ratio: Number((importRate / copyRate).toFixed(3)),
      target: 0.5,
      subscriptionsWritten: counts.rows[0]!.subs,
      ledgerRowsWritten: counts.rows[0]!.ledger,
    };
    process.stdout.write(
      `contacts import: ${rows} rows in ${result.importSeconds}s = ${importRate} rows/s ` +
        `(${result.subscriptionsWritten} subscriptions, ${result.ledgerRowsWritten} ledger rows)\n` +
        `raw COPY:        ${rows} rows in ${result.copySeconds}s = ${copyRate} rows/s\n` +
        `ratio import/COPY = ${result.ratio} (target >= 0.5)\n`,
    );
    return result;
  } finally {
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
    const admin = new pg.Client({
      connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString(),
    });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(base.pathname.slice(1))} WITH (FORCE)`);
    await admin.end();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await benchImport({ quick: process.argv.includes('--quick') });
}
