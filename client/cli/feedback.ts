// `consentflow feedback`: bounces, complaints, unsubscribe/resubscribe clicks and SMS replies from a terminal,
// one event from flags or JSON Lines from a file. Each line gets one JSON result on stdout, in order; each bad
// line also gets "FILE:LINE: field: what and how to fix" on stderr. Exit 0 all applied, 2 some line was bad
// input, 1 the store failed.
import { createReadStream, statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { loadSettings } from '../config';
import type * as Store from '../contacts';
import { CliError } from './errors';
import { poolRunner } from './store-pool';

// The contact store and the PostgreSQL driver load when a command of this file runs, not at every CLI start.
let store: typeof Store;
async function loadStore(): Promise<void> {
  store = await import('../contacts');
}

const out = (line: string): boolean => process.stdout.write(`${line}\n`);

function keywordsFor(rulesDir: string | undefined): Store.SmsKeywords {
  try {
    return store.loadSmsKeywords(rulesDir ?? loadSettings().rulesDir);
  } catch (err) {
    if (err instanceof store.SmsKeywordsError) throw new CliError(err.message, 2);
    throw err;
  }
}

const withPool = poolRunner(2, (err) => {
  if (err instanceof store.ContactFieldError) return new CliError(err.message, 2);
  return err;
});

/** The file as a stream, or a one-line reason it cannot be read (exit 2: the path is the user's input). */
function openEvents(file: string): AsyncIterable<Buffer | string> {
  if (file === '-') return process.stdin;
  let problem: string | undefined;
  try {
    if (statSync(file).isDirectory()) problem = `${file} is a folder; give the path of a JSON Lines file`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problem =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? `cannot read ${file}: there is no such file; check the path (or give --file - to read standard input)`
        : `cannot read ${file}: ${code === 'EACCES' ? 'permission denied' : 'the file is not readable'}; check the path and its permissions`;
  }
  if (problem) throw new CliError(problem, 2);
  return createReadStream(file, { highWaterMark: 1 << 16 });
}

interface FeedbackFlags {
  kind?: Store.FeedbackKind;
  channel?: 'email' | 'sms';
  address?: string;
  text?: string;
  resource?: string;
  at?: string;
  file?: string;
  rules?: string;
}

export function registerFeedbackCommand(program: Command): void {
  // The store (and the list of kinds) loads before `feedback` parses its options, and only for `feedback`.
  const kindOption = new Option('--kind <kind>');
  program.hook('preSubcommand', async (_program, sub) => {
    if (sub.name() !== 'feedback') return;
    await loadStore();
    kindOption.choices([...store.FEEDBACK_KINDS]);
  });
  program
    .command('feedback')
    .description('apply bounces, complaints, unsubscribes, SMS replies')
    .addOption(kindOption)
    .addOption(new Option('--channel <channel>', 'email or sms').choices(['email', 'sms']))
    .option('--address <address>')
    .option('--text <text>', 'inbound SMS text')
    .option('--resource <resource>')
    .option('--at <time>', 'when it happened, ISO 8601 with a time zone (default now)')
    .option('--file <path>', 'JSON lines of events ("-" for stdin); see docs/consent-model.md')
    .option(
      '--rules <dir>',
      'rules folder whose feedback/sms-keywords.json to use (default CONSENTFLOW_RULES)',
    )
    .action(async (o: FeedbackFlags) => {
      const keywords = keywordsFor(o.rules);
      if (o.kind) {
        if (!o.address)
          throw new CliError('--kind needs --address (and --channel, except for inbound_sms)', 2);
        const event: Store.FeedbackEvent = {
          kind: o.kind,
          address: o.address,
          source: { via: 'cli' },
          ...(o.channel ? { channel: o.channel } : {}),
          ...(o.text !== undefined ? { text: o.text } : {}),
          ...(o.resource !== undefined ? { resource: o.resource } : {}),
          ...(o.at !== undefined ? { at: o.at } : {}),
        };
        const r = await withPool((pool) => store.applyFeedback(pool, event, { keywords }));
        out(JSON.stringify(r, null, 2));
        return;
      }
      if (!o.file)
        throw new CliError(
          'give an event with --kind/--address (and --channel, --text...), or JSON lines with --file FILE (or --file - for stdin)',
          2,
        );
      const file = o.file;
      const input = openEvents(file);
      let bad = 0;
      let failed = 0;
      await withPool(async (pool) => {
        const source = { via: 'cli', ...(file === '-' ? {} : { file }) };
        for await (const r of store.applyFeedbackLines(pool, input, { keywords, source })) {
          if (r.ok) {
            out(JSON.stringify(r));
            continue;
          }
          const { cause, ...shown } = r;
          if (r.internal) failed++;
          else bad++;
          out(JSON.stringify(shown));
          process.stderr.write(`${file}:${r.line}: ${r.field}: ${r.error}\n`);
          if (cause && process.env.CONSENTFLOW_DEBUG)
            process.stderr.write(`${(cause as Error).stack ?? JSON.stringify(cause)}\n`);
        }
      });
      process.exitCode = failed ? 1 : bad ? 2 : 0;
    });
}
