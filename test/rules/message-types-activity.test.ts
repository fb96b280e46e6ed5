// A message type added in message-types.json is accepted end to end: by the automation definition schema
// (any lower-case id) and by the decide activity, which checks the type against the loaded rule set, not a
// list in code. Against a real, migrated PostgreSQL database of its own.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   the tests edit rule files as untyped JSON on purpose */
import pg from 'pg';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { createDecideStep } from '../../activities/decide';
import { SendSpec } from '../../workflows/definitions';
import { loadRuleSet, type RuleSet } from '../../rules/index';
import { createPool, ensureDatabase, type Pool } from '../../db/pool';
import { migrate } from '../../db/migrate';
import { upsertContact } from '../../db/contacts';
import { copyRules } from './support';

const SERVER = 'postgres://postgres@127.0.0.1:5432';
const NAME = `cf_rules_types_${process.pid}`;
const URL = `${SERVER}/${NAME}`;
let pool: Pool;
let rules: RuleSet;
let copy: ReturnType<typeof copyRules>;

beforeAll(async () => {
  copy = copyRules();
  copy.edit('message-types.json', (j) => j.types.push({ type: 'newsletter', follows: 'campaign' }));
  rules = loadRuleSet(copy.dir);
  await ensureDatabase(URL);
  await migrate(URL);
  pool = createPool(URL, 2);
  await upsertContact(pool, {
    id: 'c-news',
    email: 'news.reader@example.com',
    phone: null,
    first_name: null,
    country: 'DE',
    timezone: 'Europe/Berlin',
    status: 'subscribed',
    email_status: 'subscribed',
  });
});

afterAll(async () => {
  copy?.remove();
  await pool?.end();
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`);
  await admin.end();
});

const input = (type: string) => ({
  workflowId: 'news-c-news',
  runChain: 'run-1',
  runId: 'run-1',
  messageKey: `news-c-news/run-1/news-${type}`,
  step: `news-${type}`,
  contactId: 'c-news',
  message: { channel: 'email' as const, type, template: 'welcome-1-email' },
  at: '2026-03-04T11:00:00.000Z',
});

describe('a type added in message-types.json', () => {
  it('is a valid send step of an automation definition; a type not of the id form is not', () => {
    const check = new Ajv({ strict: false }).compile(SendSpec);
    expect(check({ channel: 'email', type: 'newsletter', template: 't' })).toBe(true);
    expect(check({ channel: 'email', type: 'News Letter', template: 't' })).toBe(false);
  });

  it('is decided by the decide activity like the row it follows', async () => {
    const decideStep = createDecideStep({
      pool,
      rules: { current: () => rules },
      log: { info() {}, warn() {} },
    });
    const result = await decideStep(input('newsletter'));
    expect(result).toMatchObject({ verdict: 'send', rulesHash: rules.hash });
  });

  it('a type the loaded rules do not list is refused, naming the types of the rules', async () => {
    const decideStep = createDecideStep({
      pool,
      rules: { current: () => rules },
      log: { info() {}, warn() {} },
    });
    const err = await decideStep(input('newsleter')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).message).toContain('"newsleter" is not one of');
    expect((err as ApplicationFailure).message).toContain('newsletter');
  });
});
