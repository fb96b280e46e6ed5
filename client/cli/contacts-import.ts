// `consentflow contacts import FILE|-`: the importer from a terminal. Standard input is spooled to a
// temporary file first, so the importer can check its encoding and report progress as for any file.
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import { progressReporter, summaryLines } from '../../db/contacts/import/report';
import type { WithPool } from './store-pool';
import type * as Store from '../contacts';
import { CliError, numberOption } from './errors';

// The contact store and the PostgreSQL driver load when a command of this file runs, not at every CLI start.
let store: typeof Store;
async function loadStore(): Promise<void> {
  store = await import('../contacts');
}

interface ImportFlags {
  format?: string;
  delimiter?: string;
  map: string[];
  ignoreUnknownColumns?: boolean;
  dryRun?: boolean;
  strict?: boolean;
  batchSize: number;
  json?: boolean;
}

/** "File column=import column"; repeatable. */
function collectMapping(raw: string, previous: string[]): string[] {
  const eq = raw.indexOf('=');
  if (eq <= 0 || eq === raw.length - 1) {
    throw new CliError(
      `--map "${raw}" is not a mapping; write FILE_COLUMN=column, e.g. --map "E-mail=email" (repeat --map for more)`,
      2,
    );
  }
  return [...previous, raw];
}

export function registerImportCommand(contacts: Command, withPool: WithPool): void {
  contacts
    .command('import <file>')
    .hook('preAction', loadStore)
    .description(
      'import contacts from CSV or JSON Lines, "-" for standard input (columns: docs/consent-model.md)',
    )
    .addOption(new Option('--format <format>', 'when the extension does not say').choices(['csv', 'jsonl']))
    .option('--delimiter <char>', 'CSV separator: , ; tab or | (default: detected from the header)')
    .option(
      '--map <from=to>',
      'read a file column as an import column, e.g. "E-mail=email" (repeatable)',
      collectMapping,
      [],
    )
    .option('--ignore-unknown-columns', 'skip columns the import does not know instead of refusing the file')
    .option('--dry-run', 'validate and count, write nothing')
    .option('--strict', 'write nothing if any row is rejected')
    .option(
      '--batch-size <n>',
      'rows per transaction',
      numberOption('--batch-size', { what: 'rows per transaction', min: 1, max: 100_000, example: 5000 }),
      5000,
    )
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, o: ImportFlags) => {
      const map = Object.fromEntries(
        o.map.map((m) => [m.slice(0, m.indexOf('=')).trim(), m.slice(m.indexOf('=') + 1).trim()]),
      );
      const spool = file === '-' ? await spoolStdin() : null;
      const name = spool ? 'stdin' : file;
      try {
        const summary = await withPool(async (pool) => {
          const bar = progressReporter(process.stderr, { dryRun: o.dryRun });
          try {
            return await store.importContacts(pool, spool ?? file, {
              label: name,
              format: o.format,
              delimiter: o.delimiter,
              map,
              ignoreUnknownColumns: o.ignoreUnknownColumns,
              dryRun: o.dryRun,
              strict: o.strict,
              batchSize: o.batchSize,
              onProgress: (p) => bar.update(p),
              onRejection: (r) => bar.line(`${name}:${r.line ?? '?'}: ${r.field}: ${r.reason}`),
            });
          } finally {
            bar.done();
          }
        });
        if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        else summaryLines(summary).forEach((l) => process.stdout.write(`${l}\n`));
        process.exitCode = summary.rejected > 0 ? 1 : 0;
      } finally {
        if (spool) rmSync(path.dirname(spool), { recursive: true, force: true });
      }
    });
}

async function spoolStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new CliError(
      '"-" reads the file from standard input; pipe it in, e.g. consentflow contacts import - < contacts.csv',
      2,
    );
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'consentflow-stdin-'));
  const file = path.join(dir, 'stdin');
  await pipeline(process.stdin, createWriteStream(file));
  return file;
}
