// `contacts import`: streams a file, validates each row, and writes rows in batches. Each batch is one
// transaction; if the database refuses a batch, its rows are retried one by one so that only the bad row is
// rejected. A row is written whole, with its ledger rows, or not at all.
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from '../../pool';
import { stageContact, type FieldDefinitions } from '../stage-input';
import { loadFieldDefinitions } from '../store';
import type { ConsentContext, RowRejection, StagedContact } from '../types';
import { writeContactBatch } from '../write-batch';
import { BatchPipeline } from './batches';
import { describeDatabaseRefusal } from './refusal';
import { checkHeader, planColumns, toInput } from './columns';
import { checkCount, parseDelimiter } from './options';
import { checkEncoding, detectFormat, fileSize, readRows, type ImportFormat } from './source';

export interface ImportOptions {
  format?: string;
  /** How the file is named in messages and the ledger (e.g. "stdin" for a spooled pipe). */
  label?: string;
  /** CSV separator: , ; tab | (or "comma", "semicolon", "tab", "pipe"); guessed from the header if absent. */
  delimiter?: string;
  /** File column -> import column, e.g. {"E-mail": "email"} (names case-insensitive). */
  map?: Record<string, string>;
  /** Skip columns the import does not know instead of refusing the file. */
  ignoreUnknownColumns?: boolean;
  /** Validate and resolve everything, write nothing. */
  dryRun?: boolean;
  /** Write nothing unless every row is good. */
  strict?: boolean;
  batchSize?: number;
  /** Connections writing batches at once when each batch commits on its own (default 2). */
  connections?: number;
  onProgress?: (p: ImportProgress) => void;
  onRejection?: (r: RowRejection) => void;
}

export interface ImportProgress {
  bytes: number;
  totalBytes: number;
  read: number;
  written: number;
  rejected: number;
}

export interface ImportSummary {
  file: string;
  format: ImportFormat;
  read: number;
  inserted: number;
  /** Existing contacts the file changed. */
  updated: number;
  /** Existing contacts the file named that already were exactly as it says. */
  unchanged: number;
  /** Rows that asked to subscribe someone who had opted out; an import keeps the opt-out. */
  keptOptedOut: number;
  rejected: number;
  /** New subscriptions of erased addresses kept at non_subscribed. */
  heldBack: number;
  evicted: number;
  dryRun: boolean;
  strict: boolean;
  /** Nothing was written because of --strict or --dry-run. */
  rolledBack: boolean;
  /** Unknown columns skipped under ignoreUnknownColumns (lower-cased). */
  ignoredColumns: string[];
  /** The first 1000 rejections (all of them go to onRejection). */
  rejections: RowRejection[];
  seconds: number;
}

export async function importContacts(
  pool: Pool,
  file: string,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const started = Date.now();
  const label = options.label ?? file;
  const batchSize = checkCount('batchSize', options.batchSize, 5000);
  const connections = checkCount('connections', options.connections, 2);
  const delimiter = parseDelimiter(options.delimiter);
  const format = detectFormat(file, options.format, label);
  const totalBytes = fileSize(file, label);
  await checkEncoding(file, label);
  const defs: FieldDefinitions = await loadFieldDefinitions(pool);
  const plan = planColumns(options, defs.profile, format);
  const strict = !!options.strict;
  const dryRun = !!options.dryRun;
  const summary: ImportSummary = {
    file: label,
    format,
    read: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    keptOptedOut: 0,
    rejected: 0,
    heldBack: 0,
    evicted: 0,
    dryRun,
    strict,
    rolledBack: false,
    ignoredColumns: [],
    rejections: [],
    seconds: 0,
  };
  const ctx: ConsentContext = {
    origin: 'import',
    source: { file: path.basename(label), import: randomUUID() },
  };
  const progress: ImportProgress = { bytes: 0, totalBytes, read: 0, written: 0, rejected: 0 };
  /** One rejected row, with every problem found in it. */
  const reject = (...problems: RowRejection[]): void => {
    summary.rejected++;
    progress.rejected++;
    for (const r of problems) {
      if (summary.rejections.length < 1000) summary.rejections.push(r);
      options.onRejection?.(r);
    }
  };

  // --strict and --dry-run run in one transaction that only commits if allowed; otherwise one per batch,
  // on up to two connections at once (see ./batches.ts).
  const single = strict || dryRun;
  const lanes = single ? 1 : Math.max(1, Math.min(connections, pool.options.max ?? 1));
  const clients: PoolClient[] = [];
  try {
    for (let i = 0; i < lanes; i++) clients.push(await pool.connect());
  } catch (err) {
    clients.forEach((c) => c.release());
    throw err;
  }
  const pipeline = new BatchPipeline(clients, batchSize, async (client, rows) => {
    await writeRows(client, rows, ctx, single, summary, reject);
    progress.written = summary.inserted + summary.updated + summary.unchanged;
    options.onProgress?.({ ...progress });
  });
  const [first] = clients as [PoolClient];
  try {
    if (single) await first.query('BEGIN');
    let n = 0;
    const header = (cols: string[]): void => checkHeader(cols, plan, defs.profile, format, label);
    const source = readRows(file, format, (b) => (progress.bytes += b), header, { delimiter, label });
    for await (const row of source) {
      // Let the database's replies in: parsing a 1 MiB chunk would otherwise hold every statement of the
      // batch being written for ~100 ms, and the writer would wait on the parser instead of overlapping.
      if (summary.read % 256 === 255) await new Promise((r) => setImmediate(r));
      summary.read++;
      progress.read++;
      if (row.unreadable) {
        reject({ line: row.line, field: '(row)', reason: row.unreadable });
        continue;
      }
      const input = toInput(row.values, plan, defs.profile);
      if (typeof input === 'string') {
        reject({
          line: row.line,
          field: input,
          reason: `is not a known field (see docs/consent-model.md, "Import columns")`,
        });
        continue;
      }
      const staged = stageContact(input, defs, n++, row.line);
      if ('problems' in staged) {
        reject(...staged.problems);
        continue;
      }
      const full = pipeline.add(staged.contact);
      if (full) await full;
    }
    await pipeline.finish();
    if (single) {
      if (dryRun || summary.rejected > 0) {
        await first.query('ROLLBACK');
        summary.rolledBack = true;
      } else await first.query('COMMIT');
    }
  } catch (err) {
    await pipeline.idle();
    if (single) await first.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    clients.forEach((c) => c.release());
  }
  // Rows rejected by the database arrive after later rows failed validation: report them in file order.
  summary.rejections.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  summary.ignoredColumns = [...plan.ignored];
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

async function writeRows(
  client: PoolClient,
  rows: StagedContact[],
  ctx: ConsentContext,
  single: boolean,
  summary: ImportSummary,
  reject: (r: RowRejection) => void,
): Promise<void> {
  const begin = single ? 'SAVEPOINT cf_batch' : 'BEGIN';
  const commit = single ? 'RELEASE SAVEPOINT cf_batch' : 'COMMIT';
  const rollback = single ? 'ROLLBACK TO SAVEPOINT cf_batch' : 'ROLLBACK';
  const attempt = async (list: StagedContact[]): Promise<void> => {
    await client.query(begin);
    try {
      const r = await writeContactBatch(
        client,
        list.map((row, i) => ({ ...row, n: i })),
        ctx,
        { ids: false },
      );
      await client.query(commit);
      summary.inserted += r.inserted;
      summary.updated += r.updated;
      summary.unchanged += r.unchanged;
      summary.keptOptedOut += r.keptOptedOut;
      summary.heldBack += r.heldBack;
      summary.evicted += r.evicted;
      r.rejected.forEach((x) => reject(x));
    } catch (err) {
      await client.query(rollback);
      throw err;
    }
  };
  // Another writer (a second import, an API call) created one of the batch's new contacts first: the
  // batch's INSERT waited for it and then lost. Running the whole batch again resolves that contact as
  // existing and updates it, as the docs promise; a deadlock between two such writers is retried the same way.
  const withRetry = async (list: StagedContact[]): Promise<void> => {
    for (let tries = 1; ; tries++) {
      try {
        return await attempt(list);
      } catch (err) {
        if (tries < RACE_RETRIES && isRace(err)) continue;
        throw err;
      }
    }
  };
  try {
    await withRetry(rows);
    return;
  } catch (err) {
    if (rows.length === 1) {
      reject(refused(rows[0]!, err));
      return;
    }
  }
  // Something else in the batch was refused: find the row, one at a time, so only it is rejected.
  for (const row of rows) {
    try {
      await withRetry([row]);
    } catch (e) {
      reject(refused(row, e));
    }
  }
}

const RACE_RETRIES = 5;

/** Unique violation or deadlock: the other writer has finished, so trying again succeeds. */
function isRace(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === '23505' || code === '40P01' || code === '40001';
}

function refused(row: StagedContact, err: unknown): RowRejection {
  return { line: row.line, field: '(row)', reason: describeDatabaseRefusal(err) };
}
