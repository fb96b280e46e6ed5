// Reading an SMS reply the way a person means it. Text is folded (NFKC width and compatibility forms, accents
// and invisible format characters dropped, lower case) and cut into words at anything that is not a letter
// or digit, so "STOP!", "Stop.", "ＳＴＯＰ", "S T O P" and "opt-out" read as the keywords they are.
import type { SmsKeywords } from './sms-keywords';

export type SmsIntent = 'opt_out' | 'opt_in' | 'help';

export interface SmsKeywordMatch {
  intent: SmsIntent;
  /** The keyword as listed in the file (normalized). */
  keyword: string;
  /** "exact": the whole reply; "leading": the first words of a short reply or of one of its sentences. */
  how: 'exact' | 'leading';
}

/** A keyword reply is short; longer text is a conversation and is never read as one (also bounds the work). */
export const MAX_KEYWORD_REPLY_CHARS = 480;

function fold(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .normalize('NFKC')
      // Zero-width spaces, soft hyphens, BOMs and direction marks are invisible: "ST\u00adOP" is STOP.
      .replace(/\p{Cf}/gu, '')
      // An apostrophe joins a word ("don't" is one word, not "don" and a stray "t").
      .replace(/['\u2019\u02bc`]/g, '')
      .toLowerCase()
  );
}

const words = (text: string): string[] => text.split(/[^\p{L}\p{N}]+/u).filter(Boolean);

/** The matchable form of a keyword from the file, or null when it has no letters or digits. */
export function keywordForm(word: string): { phrase: string; joined: string } | null {
  const w = words(fold(word));
  return w.length ? { phrase: w.join(' '), joined: w.join('') } : null;
}

/** Sentences and clauses: a keyword may start any of them ("Thanks! Unsubscribe", "Ok, stop"). */
const CLAUSE_BREAK = /[.,!?;:\n\r\u2026\u00a1\u00bf]+/;

function startsWith(clause: string[], phrase: string): boolean {
  const p = phrase.split(' ');
  if (p.every((w, i) => clause[i] === w)) return true;
  // "optout" for "opt out", "stopall" for "stop all".
  return p.length > 1 && clause[0] === p.join('');
}

/**
 * What an inbound SMS asks for, or null for anything else. Opt-out wins over the others: a reply that both
 * asks for help and says stop ("Help! Stop texting me") is an opt-out. See docs/consent-model.md.
 */
export function matchSmsKeyword(keywords: SmsKeywords, text: string): SmsKeywordMatch | null {
  const trimmed = text.trim();
  if (!trimmed || trimmed.length > MAX_KEYWORD_REPLY_CHARS) return null;
  const folded = fold(trimmed);
  const all = words(folded);
  if (all.length === 0) return null;
  // Spacing and punctuation inside the reply do not matter: "S T O P", "S.T.O.P.", "opt-out".
  const joined = all.join('');
  const lists: Array<[SmsIntent, string[]]> = [
    ['opt_out', keywords.optOut],
    ['opt_in', keywords.optIn],
    ['help', keywords.help],
  ];
  for (const [intent, list] of lists) {
    const keyword = list.find((k) => k.replace(/ /g, '') === joined);
    if (keyword) return { intent, keyword, how: 'exact' };
  }
  const clauses = folded
    .split(CLAUSE_BREAK)
    .map(words)
    .filter((c) => c.length > 0);
  // Opt-in stays exact: "start" leading a sentence ("Start of the week...") is not consent to resume.
  const readable = lists.filter(([intent]) => intent !== 'opt_in');
  const short = all.length <= keywords.leadingMaxWords;
  for (const [intent, list] of readable) {
    for (const clause of clauses) {
      // A sentence that is nothing but the keyword counts in a reply of any length: "Stop. I mean it...".
      const whole = list.find((k) => k.replace(/ /g, '') === clause.join(''));
      const keyword = whole ?? (short ? list.find((k) => startsWith(clause, k)) : undefined);
      if (keyword) return { intent, keyword, how: 'leading' };
    }
  }
  return null;
}
