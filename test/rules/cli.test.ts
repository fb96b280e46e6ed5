// The command line as apps and operators use it: `node bin/consentflow.mjs ...` in a child process.
/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   the tests edit rule files as untyped JSON on purpose, to break them */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decideSend, loadRuleSet, GLOBAL_STATUSES, SUBSCRIPTION_STATUSES } from '../../rules/index';
import { REPO, RULES_DIR, contact, copyRules, sub } from './support';

const { CONSENTFLOW_RULES: _ignored, ...withoutRulesVariable } = process.env;

function cli(args: string[], input = '', env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['bin/consentflow.mjs', ...args], {
    cwd: REPO,
    input,
    encoding: 'utf8',
    env: { ...withoutRulesVariable, ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const env = (dir: string) => ({ CONSENTFLOW_RULES: dir });
const rules = loadRuleSet(RULES_DIR);

function mixedLines(n: number) {
  const lines: string[] = [];
  const expected: Array<
    { id: string; error?: string } | { id: string; decision: ReturnType<typeof decideSend> }
  > = [];
  for (let i = 0; i < n; i++) {
    const id = `r${i}`;
    if (i % 10 === 3) {
      const garbage = [
        ['not json at all', ''],
        [
          JSON.stringify({
            id,
            contact: contact({ status: 'gone' as never }),
            message: { channel: 'email', type: 'campaign' },
          }),
          '/contact/status',
        ],
        [
          JSON.stringify({ id, contact: contact(), message: { channel: 'email', type: 'newsletter' } }),
          '/message/type',
        ],
        [
          JSON.stringify({ id, contact: contact(), message: { channel: 'fax', type: 'campaign' } }),
          '/message/channel',
        ],
        [
          JSON.stringify({
            id,
            contact: contact(),
            message: { channel: 'sms', type: 'campaign' },
            at: '15/06/2026 10:00',
          }),
          '/at',
        ],
        [JSON.stringify({ id, contact: contact() }), ''],
        [JSON.stringify({ id, message: { channel: 'sms', type: 'campaign' } }), '/contact'],
        ['[1,2,3]', ''],
        ['', ''],
        [
          JSON.stringify({
            id,
            contact: contact({}, [{ ...sub('sms', 'subscribed'), priority: 1.5 }]),
            message: { channel: 'sms', type: 'campaign' },
          }),
          '/contact/subscriptions/0/priority',
        ],
      ][((i / 10) % 10) | 0]!;
      lines.push(garbage[0]!);
      expected.push({ id, error: garbage[1]! });
      continue;
    }
    const channel = i % 2 ? ('sms' as const) : ('email' as const);
    const who = contact(
      {
        status: GLOBAL_STATUSES[i % 7]!,
        country: [null, 'US', 'DE', 'BR'][i % 4],
        timezone: ['America/New_York', 'Asia/Tokyo', null, 'Europe/Lisbon'][i % 4],
        active: i % 13 !== 0,
      },
      [
        sub(channel, SUBSCRIPTION_STATUSES[i % 8]!),
        sub(channel, 'subscribed', {
          priority: 7,
          address: channel === 'sms' ? '+4917000000' : 'second@example.com',
        }),
      ],
    );
    const request = {
      id,
      contact: who,
      message: { channel, type: rules.messageTypes[i % rules.messageTypes.length]! },
      at: new Date(Date.UTC(2026, 5, 15, i % 24, 7)).toISOString(),
    };
    lines.push(JSON.stringify(request));
    expected.push({
      id,
      decision: decideSend(rules, { contact: who, message: request.message, at: new Date(request.at) }),
    });
  }
  return { lines, expected };
}

describe('consentflow decide', () => {
  it('answers a few hundred mixed lines, garbage included, one line each, in order; exit 2', () => {
    const { lines, expected } = mixedLines(400);
    const r = cli(['decide'], `${lines.join('\n')}\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/40 line\(s\) were not valid/);
    const out = r.stdout.trimEnd().split('\n');
    expect(out).toHaveLength(400);
    out.forEach((line, i) => {
      const answer = JSON.parse(line) as Record<string, unknown>;
      const want = expected[i]!;
      if ('error' in want) {
        const error = answer.error as { message: string; path: string };
        expect(error.path, `line ${i + 1}: ${line}`).toBe(want.error);
        expect(error.message.length).toBeGreaterThan(10);
        if (lines[i]!.startsWith('{')) expect(answer.id).toBe(want.id);
      } else {
        expect(answer).toEqual({ id: want.id, ...(want as { decision: object }).decision });
      }
    });
    const verdicts = new Set(out.map((l) => (JSON.parse(l) as { verdict?: string }).verdict).filter(Boolean));
    expect(verdicts).toEqual(new Set(['send', 'suppress', 'defer']));
  });

  it('exits 0 when every line is valid, and stamps the rule version on every answer', () => {
    const { lines, expected } = mixedLines(30);
    const valid = lines.filter((_, i) => !('error' in expected[i]!));
    const r = cli(['decide'], valid.join('\n'));
    expect(r.code).toBe(0);
    for (const line of r.stdout.trimEnd().split('\n'))
      expect(JSON.parse(line)).toMatchObject({ rules: rules.hash });
  });

  it('uses --rules or CONSENTFLOW_RULES', () => {
    const copy = copyRules();
    try {
      copy.edit('matrix.email.json', (j) => (j.rows[0].reaches = ['subscribed', 'non_subscribed']));
      const line = JSON.stringify({
        contact: contact({}, [sub('email', 'non_subscribed')]),
        message: { channel: 'email', type: 'campaign' },
      });
      expect(JSON.parse(cli(['decide'], line).stdout)).toMatchObject({ verdict: 'suppress' });
      expect(JSON.parse(cli(['decide', '--rules', copy.dir], line).stdout)).toMatchObject({
        verdict: 'send',
      });
      expect(JSON.parse(cli(['decide'], line, env(copy.dir)).stdout)).toMatchObject({ verdict: 'send' });
    } finally {
      copy.remove();
    }
  });

  it('a stored contact that cannot be loaded gets an error line; the other lines are still answered', () => {
    const lines = [
      JSON.stringify({
        id: 'a',
        contact: contact({}, [sub('email', 'subscribed')]),
        message: { channel: 'email', type: 'welcome' },
      }),
      JSON.stringify({ id: 'b', contactId: 'c-42', message: { channel: 'email', type: 'welcome' } }),
    ];
    const r = cli(['decide'], lines.join('\n'), { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' });
    const [a, b] = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toMatchObject({ id: 'a', verdict: 'send' });
    expect(b).toMatchObject({ id: 'b', error: { path: '/contactId' } });
    expect(r.code).toBe(1);
  });

  it('fails with the list of problems when the rules are broken', () => {
    const copy = copyRules();
    try {
      copy.edit('regions.json', (j) => (j.regions[0].matrices.sms = 'sms.usa'));
      const r = cli(['decide', '--rules', copy.dir], '{}');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('regions.json /regions/0/matrices/sms: matrix "sms.usa" does not exist');
    } finally {
      copy.remove();
    }
  });
});

describe('consentflow rules validate | lint | explain', () => {
  it('validate: the default rules are valid', () => {
    const r = cli(['rules', 'validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`version ${rules.hash}`);
  });

  it('validate on a broken copy names each file, pointer and fix, and exits non-zero', () => {
    const copy = copyRules();
    try {
      copy.edit('matrix.sms.json', (j) => (j.rows[2].type = 'birthdy'));
      copy.edit('quiet-hours.json', (j) => (j.windows[0].until = '25:00'));
      const r = cli(['rules', 'validate', copy.dir]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(
        'matrix.sms.json /rows/2/type: "birthdy" is not a message type of message-types.json',
      );
      expect(r.stdout).toContain('Did you mean "birthday"?');
      expect(r.stdout).toContain('quiet-hours.json /windows/0/until');
      expect(r.stdout).toContain('fix: ');
      const json = JSON.parse(cli(['rules', 'validate', copy.dir, '--json']).stdout) as {
        problems: unknown[];
      };
      expect(json.problems).toHaveLength(2);
    } finally {
      copy.remove();
    }
  });

  it('lint flags the custom-event default that reaches unsubscribed contacts, and not once it is fixed', () => {
    const r = cli(['rules', 'lint']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/warning \[custom-event-unsubscribed\] matrix\.email\.json \/rows\/17\/reaches/);
    expect(cli(['rules', 'lint', '--strict']).code).toBe(1);
    const copy = copyRules();
    try {
      copy.edit('matrix.email.json', (j) => (j.rows[17].reaches = ['subscribed', 'non_subscribed']));
      copy.edit('regions.json', (j) => (j.regions[0].matrices.sms = 'sms'));
      const fixed = cli(['rules', 'lint', '--rules', copy.dir]);
      expect(fixed.stdout).not.toContain('custom-event-unsubscribed');
      // the US now reads the lenient SMS table: confirmations to non-subscribed phones
      expect(fixed.stdout).toMatch(/ctia-sms-without-opt-in\] matrix\.sms\.json \/rows\/7\/reaches/);
    } finally {
      copy.remove();
    }
  });

  it('explain prints each rule that fired or not, and why, in words', () => {
    const request = {
      contact: contact({ country: 'US', timezone: 'America/New_York', status: 'unsubscribed' }, [
        sub('sms', 'subscribed'),
      ]),
      message: { channel: 'sms', type: 'abandoned_cart' },
      at: '2026-06-15T16:00:00Z',
    };
    const r = cli(['rules', 'explain', JSON.stringify(request)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Decision: SUPPRESS');
    expect(r.stdout).toMatch(
      /APPLIES\s+gate:global-status: .*\n\s+because the message is marketing and the contact's global status is unsubscribed/,
    );
    expect(r.stdout).toMatch(
      /does not apply\s+gate:blacklist: .*\n\s+because the contact's sms address is not on the blacklist/,
    );
    expect(r.stdout).toMatch(/not checked\s+quiet-hours:us/);
    expect(r.stdout).not.toContain('+15550001111');
    const viaStdin = cli(
      ['rules', 'explain'],
      JSON.stringify({
        ...request,
        at: '2026-06-15T03:00:00Z',
        contact: { ...request.contact, status: 'subscribed' },
      }),
    );
    expect(viaStdin.stdout).toContain('Decision: DEFER');
    expect(viaStdin.stdout).toMatch(
      /APPLIES\s+quiet-hours:us \(sms\).*\n\s+because .*it is 23:00 where the contact is, at or after 21:00/,
    );
    expect(cli(['rules', 'explain', '{"message":{}}']).code).toBe(2);
  });
});
