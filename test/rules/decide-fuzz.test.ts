// Fuzzing the decide contract: generated garbage (deep nesting, huge and unicode lines, wrong types, extreme
// numbers, DST edges and historic dates, invalid UTF-8 and lone surrogates, empty lines, a byte-order mark,
// CRLF) must get exactly one well-formed JSON answer per input line, in order, and the right exit code: from
// the CLI's line processor fed in random chunk sizes, and from the real `consentflow decide` process.
// Seeded (FUZZ_SEED=n to replay a failure); no dependency needed.
import { spawnSync } from 'node:child_process';
import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { answerStream } from '../../client/cli/decide-stream';
import { MAX_LINE_BYTES } from '../../rules/decide-lines';
import { GLOBAL_STATUSES, MESSAGE_TYPES, SUBSCRIPTION_STATUSES, loadRuleSet } from '../../rules/index';
import { REPO, RULES_DIR } from './support';

const rules = loadRuleSet(RULES_DIR);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_202);

/** mulberry32: small, fast, good enough to pick cases. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  return { next, int, pick };
}
type Rand = ReturnType<typeof prng>;

/** What a line must get: a decision, an error, or either (a random mutation may or may not break it). */
type Expect = 'answer' | 'error' | 'any';
interface Case {
  bytes: Buffer;
  expect: Expect;
  /** The id the answer must carry (absent when the line cannot be read as an object with an id). */
  id?: string;
}

const ZONES = [
  'America/New_York',
  'America/St_Johns',
  'Europe/Amsterdam',
  'Africa/Monrovia',
  'Asia/Kathmandu',
  'Australia/Eucla',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
  'America/Sao_Paulo',
  'Europe/Berlin',
  'Not/A_Zone',
  null,
];
const UNICODE = [
  '😀',
  'Ωmega',
  '中文',
  'עברית',
  'e\u0301',
  '\u2028',
  '\u0000',
  '\ud83d\ude00',
  '\uFEFF',
  '\t"\\',
];

function instant(r: Rand): string {
  const kind = r.int(0, 4);
  if (kind === 0) {
    // the two US DST nights of 2026, minute by minute
    const base = r.pick([Date.UTC(2026, 2, 8, 5), Date.UTC(2026, 10, 1, 4), Date.UTC(2026, 2, 29, 0)]);
    return new Date(base + r.int(-180, 180) * 60_000 + r.int(0, 59_999)).toISOString();
  }
  if (kind === 1)
    return new Date(
      Date.UTC(r.int(1800, 1969), r.int(0, 11), r.int(1, 28), r.int(0, 23), r.int(0, 59), r.int(0, 59)),
    ).toISOString();
  if (kind === 2)
    return r.pick([
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
      '1970-01-01T00:00:00+14:00',
      '2026-06-15T03:00:00-12:00',
    ]);
  return new Date(Date.UTC(2026, r.int(0, 11), r.int(1, 28), r.int(0, 23), r.int(0, 59))).toISOString();
}

function validRequest(r: Rand, id: string) {
  const subs = Array.from({ length: r.int(0, 3) }, (_, i) => ({
    resource: r.pick(['shop', 'blog']),
    channel: r.pick(['email', 'sms']),
    address: r.pick(['a@example.com', '+15550001111']),
    status: r.pick(SUBSCRIPTION_STATUSES),
    priority: r.pick([0, 1, 2, -5, 2 ** 53 - 1, i]),
    ...(r.next() < 0.3 ? { categories: { news: r.pick(['subscribed', 'unsubscribed']) } } : {}),
  }));
  return {
    id,
    contact: {
      status: r.pick(GLOBAL_STATUSES),
      country: r.pick([null, 'US', 'DE', 'BR', 'JP']),
      timezone: r.pick(ZONES),
      ...(r.next() < 0.2 ? { active: false } : {}),
      ...(r.next() < 0.2 ? { blacklist: { email: r.next() < 0.5, phone: r.next() < 0.5 } } : {}),
      subscriptions: subs,
    },
    message: {
      channel: r.pick(['email', 'sms']),
      type: r.pick(MESSAGE_TYPES),
      ...(r.next() < 0.3 ? { resource: r.pick(['shop', 'blog']) } : {}),
      ...(r.next() < 0.2 ? { category: 'news' } : {}),
    },
    at: instant(r),
  };
}

const deep = (r: Rand, depth: number) => {
  const [open, close] = r.pick([
    ['[', ']'],
    ['{"a":', '}'],
    ['[{"x":', '}]'],
  ]);
  return `${open.repeat(depth)}1${close.repeat(depth)}`;
};

const JUNK: unknown[] = [null, true, 0, -1, '', 'x', [], {}, [1, 'a'], { a: 1 }, 1e308, 'Z'.repeat(5000)];

function generate(r: Rand, n: number): Case[] {
  const cases: Case[] = [];
  const text = (s: string, expect: Expect, id?: string): Case => ({
    bytes: Buffer.from(s, 'utf8'),
    expect,
    id,
  });
  // The few large ones first, at random places below: over the limit, just under it, very deep.
  const big = new Set([r.int(0, n - 1), r.int(0, n - 1), r.int(0, n - 1)]);
  for (let i = 0; i < n; i++) {
    const id = `f${i}`;
    const base = validRequest(r, id);
    const line = JSON.stringify(base);
    if (big.has(i)) {
      const which = r.int(0, 2);
      if (which === 0)
        cases.push(text(`{"id":"${id}","pad":"${'p'.repeat(MAX_LINE_BYTES + r.int(0, 70_000))}"}`, 'error'));
      else if (which === 1)
        cases.push(
          text(
            JSON.stringify({
              ...base,
              message: { ...base.message, type: 'q'.repeat(MAX_LINE_BYTES - 2000) },
            }),
            'error',
            id,
          ),
        );
      else cases.push(text(`{"id":"${id}","contact":${deep(r, r.int(5_000, 60_000))}}`, 'error'));
      continue;
    }
    switch (r.int(0, 15)) {
      case 0:
      case 1:
      case 2:
        cases.push(text(line, 'answer', id));
        break;
      case 3: // unicode ids, lone surrogates included: echoed exactly
        cases.push(
          text(
            JSON.stringify({ ...base, id: `${id}${r.pick(UNICODE)}${r.pick(['\ud800', '\udfff', ''])}` }),
            'answer',
            `${id}`,
          ),
        );
        break;
      case 4: // deep nesting somewhere
        cases.push(
          text(
            r.next() < 0.5
              ? deep(r, r.int(65, 3000))
              : `{"id":"${id}","message":${deep(r, r.int(65, 3000))}}`,
            'error',
          ),
        );
        break;
      case 5: {
        // a wrong type in a random field
        const request = JSON.parse(line) as Record<string, Record<string, unknown>>;
        const [obj, key] = r.pick([
          ['contact', 'status'],
          ['contact', 'subscriptions'],
          ['contact', 'country'],
          ['contact', 'timezone'],
          ['message', 'channel'],
          ['message', 'type'],
        ] as const);
        request[obj]![key] = r.pick(JUNK);
        cases.push(text(JSON.stringify(request), 'any', id));
        break;
      }
      case 6: {
        // extreme numbers as priority
        const p = r.pick([
          '1e400',
          '-1e400',
          '1e20',
          '-1e20',
          '9007199254740993',
          '5e-324',
          '1.5',
          '-0',
          'NaN',
          'Infinity',
          '-Infinity',
          '0x10',
          '1e',
        ]);
        const subs = `[{"resource":"shop","channel":"email","address":"a@b.c","status":"subscribed","priority":${p}}]`;
        const request = `{"id":"${id}","contact":{"status":"subscribed","subscriptions":${subs}},"message":{"channel":"email","type":"welcome"},"at":"2026-06-15T12:00:00Z"}`;
        // NaN, Infinity, hex and a bare exponent are not JSON: the line is unreadable, so no id comes back
        const json = !['NaN', 'Infinity', '-Infinity', '0x10', '1e'].includes(p);
        cases.push(text(request, p === '-0' ? 'answer' : 'error', json ? id : undefined));
        break;
      }
      case 7: // bytes that are never UTF-8, or a surrogate encoded as UTF-8
        cases.push({
          bytes: Buffer.concat([
            Buffer.from(line.slice(0, 20)),
            Buffer.from(r.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8]])),
            Buffer.from(line.slice(20)),
          ]),
          expect: 'error',
        });
        break;
      case 8:
        cases.push(text(r.pick(['', ' ', '\t', '  \t ']), 'error'));
        break;
      case 9: // cut short
        cases.push(text(line.slice(0, r.int(1, line.length - 1)), 'error'));
        break;
      case 10: {
        // random printable and control garbage (no line feed)
        const chars = Array.from({ length: r.int(1, 200) }, () =>
          String.fromCharCode(r.pick([r.int(0x20, 0x7e), r.int(0, 9), r.int(11, 31), r.int(0xa0, 0x2fff)])),
        );
        cases.push(text(chars.join(''), 'any'));
        break;
      }
      case 11: // not an object
        cases.push(text(r.pick(['[]', '1', '"x"', 'null', 'true', '[{"id":"x"}]']), 'error'));
        break;
      case 12: // a byte-order mark that is not at the start of the input
        cases.push(i === 0 ? text(line, 'answer', id) : text(`\uFEFF${line}`, 'error'));
        break;
      case 13: // a huge but allowed value where a short one belongs
        cases.push(
          text(
            JSON.stringify({
              ...base,
              contact: { ...base.contact, country: '€'.repeat(r.int(1000, 50_000)) },
            }),
            'error',
            id,
          ),
        );
        break;
      default:
        cases.push(text(line, 'answer', id));
    }
  }
  return cases;
}

function inputOf(r: Rand, cases: Case[]): Buffer {
  const parts: Buffer[] = [];
  if (r.next() < 0.5) parts.push(Buffer.from([0xef, 0xbb, 0xbf])); // a BOM at the start: ignored
  cases.forEach((c, i) => {
    parts.push(c.bytes);
    if (i < cases.length - 1 || r.next() < 0.5) parts.push(Buffer.from(r.next() < 0.3 ? '\r\n' : '\n'));
  });
  return Buffer.concat(parts);
}

function* chunked(r: Rand, input: Buffer) {
  for (let p = 0; p < input.length;) {
    const size = r.pick([1, 2, 3, 7, 64, 1000, 65_536, 300_000]);
    yield input.subarray(p, p + size);
    p += size;
  }
}

type Answer = {
  id?: unknown;
  verdict?: string;
  rules?: string;
  reasons?: Array<{ message: string }>;
  error?: { message: unknown; path: unknown };
};

function check(cases: Case[], outLines: string[]) {
  expect(outLines).toHaveLength(cases.length);
  let errors = 0;
  outLines.forEach((line, i) => {
    const c = cases[i]!;
    const where = `line ${i + 1} (${c.bytes.subarray(0, 80).toString('utf8')})`;
    expect(line.length, where).toBeLessThan(4000);
    const answer = JSON.parse(line) as Answer;
    expect(typeof answer, where).toBe('object');
    if (answer.error) {
      errors++;
      expect(Object.keys(answer.error).sort(), where).toEqual(['message', 'path']);
      expect(typeof answer.error.message).toBe('string');
      expect(answer.error.message, where).not.toMatch(/call stack|Cannot read|undefined/);
      expect(c.expect, `${where}: ${String(answer.error.message)}`).not.toBe('answer');
    } else {
      expect(['send', 'suppress', 'defer'], where).toContain(answer.verdict);
      expect(answer.rules).toBe(rules.hash);
      expect(c.expect, where).not.toBe('error');
      for (const reason of answer.reasons ?? []) {
        expect(reason.message, where).not.toMatch(/could not decide|Cannot read/);
        const local = / it is (\S+) there now/.exec(reason.message);
        if (local) expect(local[1], where).toMatch(/^\d\d:\d\d$/);
      }
    }
    if (c.id !== undefined) expect(String(answer.id).slice(0, c.id.length), where).toBe(c.id);
  });
  return errors;
}

describe('decide fuzz', () => {
  it('the line processor answers every generated line once, in order (several seeds, random chunking)', async () => {
    for (let s = 0; s < 4; s++) {
      const r = prng(SEED + s);
      const cases = generate(r, 250);
      const input = inputOf(r, cases);
      let out = '';
      const result = await answerStream(chunked(r, input), (text) => void (out += text), { ruleSet: rules });
      expect(out.endsWith('\n')).toBe(true);
      const errors = check(cases, out.slice(0, -1).split('\n'));
      expect(result).toEqual({ lines: cases.length, invalid: errors, unavailable: 0 });
    }
  }, 120_000);

  it('the real `consentflow decide` process gives the same answers and exit code 2 (0 when all are valid)', async () => {
    const r = prng(SEED);
    const cases = generate(r, 250);
    const input = inputOf(r, cases);
    let expected = '';
    await answerStream([input], (text) => void (expected += text), { ruleSet: rules });
    const run = (stdin: Buffer) => {
      const p = spawnSync(process.execPath, ['bin/consentflow.mjs', 'decide', '--rules', RULES_DIR], {
        cwd: REPO,
        input: stdin,
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: p.status, stdout: p.stdout, stderr: p.stderr.toString('utf8') };
    };
    const cli = run(input);
    expect(isUtf8(cli.stdout)).toBe(true);
    expect(cli.stdout.toString('utf8')).toBe(expected);
    expect(cli.stderr).toMatch(
      /^consentflow decide: \d+ line\(s\) were not valid requests; see their "error"\n$/,
    );
    expect(cli.code).toBe(2);

    const valid = cases.filter((c) => c.expect === 'answer' && c.bytes.length < 5000);
    const ok = run(Buffer.concat(valid.flatMap((c) => [c.bytes, Buffer.from('\n')])));
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout.toString('utf8').trimEnd().split('\n')).toHaveLength(valid.length);
  }, 300_000);
});
