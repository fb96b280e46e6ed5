// A worker's live rule set: reload on change, keep the last good set when an edit breaks the folder.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   the tests edit rule files as untyped JSON on purpose, to break them */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuleSource, decideSend, RuleSetError, type RuleSource } from '../../rules/index';
import { NOON, contact, copyRules, msg, sub } from './support';

let copy: ReturnType<typeof copyRules> | undefined;
let source: RuleSource | undefined;
afterEach(() => {
  source?.close();
  copy?.remove();
});

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const welcomeToNonSubscriber = (s: RuleSource) =>
  decideSend(s.current(), {
    contact: contact({}, [sub('email', 'non_subscribed')]),
    message: msg('email', 'welcome'),
    at: NOON,
  });

describe('createRuleSource', () => {
  it('reloads when a file changes, keeps serving the last good set when an edit is invalid, and recovers', async () => {
    copy = copyRules();
    const log: string[] = [];
    source = createRuleSource(copy.dir, { log: (l) => log.push(l), debounceMs: 30 });
    const first = source.current().hash;
    expect(welcomeToNonSubscriber(source).verdict).toBe('suppress');

    copy.edit('matrix.email.json', (j) => j.rows[1].reaches.push('non_subscribed'));
    await until(() => source!.current().hash !== first, 'the reload');
    const second = source.current().hash;
    expect(welcomeToNonSubscriber(source)).toMatchObject({ verdict: 'send', rules: second });
    expect(log.join('\n')).toContain(`${first} -> ${second}`);

    writeFileSync(path.join(copy.dir, 'gates.json'), '{ "kind": "gates", "gates": [ ');
    await until(() => log.some((l) => l.includes('not valid')), 'the complaint');
    expect(source.current().hash).toBe(second);
    expect(welcomeToNonSubscriber(source).verdict).toBe('send');
    expect(log.at(-1)).toContain(`still serving version ${second}`);
    expect(log.at(-1)).toContain('gates.json');

    copy.edit('matrix.email.json', (j) => j.rows[1].reaches.pop());
    writeFileSync(path.join(copy.dir, 'gates.json'), JSON.stringify({ kind: 'gates', gates: [] }));
    await until(() => source!.current().hash !== second, 'the recovery');
    expect(welcomeToNonSubscriber(source).verdict).toBe('suppress');
  });

  it('refuses to start on an invalid folder: there is no last good set to serve', () => {
    copy = copyRules();
    writeFileSync(path.join(copy.dir, 'regions.json'), '[]');
    expect(() => createRuleSource(copy!.dir, { watch: false })).toThrow(RuleSetError);
  });

  it('without watch, it serves what it loaded', () => {
    copy = copyRules();
    source = createRuleSource(copy.dir, { watch: false });
    expect(source.current().dir).toBe(copy.dir);
  });
});
