// The SMS keyword file (rules/feedback/sms-keywords.json): which replies opt out, opt back in or ask for help,
// and what we answer. It lives in a subfolder with its own schema and loader because it is not part of the
// decision rule set: rules/load.ts reads only the top-level *.json files and never sees it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { validateAgainst, type SchemaProblem } from '../problems';
import { jsonErrorOffset } from '../json-position';
import { keywordForm } from './sms-text';

export { matchSmsKeyword, type SmsKeywordMatch, type SmsIntent } from './sms-text';

/** Where a rules folder keeps the file; a folder without it gets the shipped words. */
export const SMS_KEYWORDS_PATH = path.join('feedback', 'sms-keywords.json');
export const DEFAULT_SMS_KEYWORDS_FILE = fileURLToPath(new URL('./sms-keywords.json', import.meta.url));

/**
 * Named by the FCC's 2024 revocation order (stop, quit, end, revoke, opt out, cancel, unsubscribe) and by
 * CTIA (STOPALL), and HELP: always in force, so an edit of the file can add words but never lose these.
 */
export const REQUIRED_OPT_OUT = [
  'stop',
  'stopall',
  'unsubscribe',
  'cancel',
  'end',
  'quit',
  'revoke',
  'opt out',
];
export const REQUIRED_HELP = ['help'];

const Word = Type.String({
  minLength: 1,
  maxLength: 40,
  description:
    'A word or short phrase, e.g. "stop" or "opt out"; case, accents and punctuation do not matter.',
});
const Words = (description: string) => Type.Optional(Type.Array(Word, { maxItems: 200, description }));
const Reply = Type.String({
  minLength: 1,
  maxLength: 480,
  description: 'The text sent back (at most 3 SMS).',
});

export const SmsKeywordsFile = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    kind: Type.Literal('sms-keywords'),
    description: Type.Optional(Type.String()),
    optOut: Words('Replies that revoke consent: the SMS subscriptions of the phone become unsubscribed.'),
    optIn: Words('Replies that restore what an opt-out took (never a bounce or a complaint).'),
    help: Words('Replies answered with the help text; consent does not change.'),
    leadingMaxWords: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 20,
        description: 'A reply of at most this many words counts when an opt-out or help word starts it.',
      }),
    ),
    replies: Type.Optional(
      Type.Object(
        { optOut: Type.Optional(Reply), optIn: Type.Optional(Reply), help: Type.Optional(Reply) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'an SMS keyword file' },
);
export type SmsKeywordsFile = Static<typeof SmsKeywordsFile>;

export interface SmsKeywords {
  file: string;
  /** Normalized phrases (words joined by one space). */
  optOut: string[];
  optIn: string[];
  help: string[];
  leadingMaxWords: number;
  replies: { optOut: string; optIn: string; help: string };
}

export interface SmsKeywordsProblem extends SchemaProblem {
  file: string;
}

export class SmsKeywordsError extends Error {
  constructor(
    readonly file: string,
    readonly problems: SmsKeywordsProblem[],
  ) {
    const first = problems[0];
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the SMS keyword file ${file}` +
        (first ? `; first: ${first.pointer || '(file)'}: ${first.message} (${first.hint})` : ''),
    );
    this.name = 'SmsKeywordsError';
  }
}

const DEFAULT_REPLIES = {
  optOut: 'You are unsubscribed and will receive no more messages from us. Reply START to resubscribe.',
  optIn: 'You are resubscribed. Reply STOP to unsubscribe, HELP for help.',
  help: 'Reply STOP to unsubscribe, START to resubscribe. Message and data rates may apply.',
};

function parse(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    let where = '';
    try {
      const before = text.slice(0, Math.max(0, jsonErrorOffset(text)));
      where = ` (line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')})`;
    } catch {
      // Too deeply nested to locate: the message without a place is still true.
    }
    throw new SmsKeywordsError(file, [
      {
        file,
        pointer: '',
        message: `is not valid JSON${where}`,
        hint: 'Fix the syntax: double quotes around words, commas between entries, none after the last.',
      },
    ]);
  }
}

/** Checks the content and turns it into matchable phrases; every problem is collected, none thrown early. */
export function compileSmsKeywords(file: string, content: unknown): SmsKeywords {
  const problems: SmsKeywordsProblem[] = validateAgainst(SmsKeywordsFile, content).map((p) => ({
    file,
    ...p,
  }));
  if (problems.length) throw new SmsKeywordsError(file, problems);
  const c = content as SmsKeywordsFile;
  const owner = new Map<string, string>();
  const list = (name: 'optOut' | 'optIn' | 'help', words: readonly string[], required: string[]) => {
    const out: string[] = [];
    const add = (word: string, pointer: string | null) => {
      const form = keywordForm(word);
      if (!form) {
        if (pointer)
          problems.push({
            file,
            pointer,
            message: `${JSON.stringify(word)} has no letters or digits`,
            hint: 'Write a word, e.g. "stop"; punctuation and spacing are ignored when matching.',
          });
        return;
      }
      const taken = owner.get(form.joined);
      if (taken && taken !== name) {
        if (pointer)
          problems.push({
            file,
            pointer,
            message: `${JSON.stringify(word)} is already an ${taken} word`,
            hint: `A reply can mean one thing only: remove it here or from "${taken}" (the FCC/CTIA opt-out words always stay opt-out).`,
          });
        return;
      }
      if (taken) return;
      owner.set(form.joined, name);
      out.push(form.phrase);
    };
    required.forEach((w) => add(w, null));
    words.forEach((w, i) => add(w, `/${name}/${i}`));
    return out;
  };
  const optOut = list('optOut', c.optOut ?? [], REQUIRED_OPT_OUT);
  const help = list('help', c.help ?? [], REQUIRED_HELP);
  const optIn = list('optIn', c.optIn ?? [], []);
  if (problems.length) throw new SmsKeywordsError(file, problems);
  return {
    file,
    optOut,
    optIn,
    help,
    leadingMaxWords: c.leadingMaxWords ?? 6,
    replies: { ...DEFAULT_REPLIES, ...c.replies },
  };
}

const cache = new Map<string, { mtimeMs: number; keywords: SmsKeywords }>();

/**
 * The keyword file of a rules folder (`<dir>/feedback/sms-keywords.json`), or the shipped one when the folder
 * has none or no folder is given. Throws SmsKeywordsError naming every problem of a bad file.
 */
export function loadSmsKeywords(rulesDir?: string): SmsKeywords {
  const candidate = rulesDir ? path.resolve(rulesDir, SMS_KEYWORDS_PATH) : DEFAULT_SMS_KEYWORDS_FILE;
  const file = existsSync(candidate) ? candidate : DEFAULT_SMS_KEYWORDS_FILE;
  let mtimeMs: number;
  let text: string;
  try {
    mtimeMs = statSync(file).mtimeMs;
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === mtimeMs) return hit.keywords;
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SmsKeywordsError(file, [
      {
        file,
        pointer: '',
        message: `cannot be read (${(err as NodeJS.ErrnoException).code === 'EISDIR' ? 'it is a folder' : 'no permission or not a file'})`,
        hint: 'Make it a readable JSON file, or remove it to use the shipped words.',
      },
    ]);
  }
  const keywords = compileSmsKeywords(file, parse(file, text));
  cache.set(file, { mtimeMs, keywords });
  return keywords;
}
