// Audience: one campaign message decided for every stored contact, in batches from PostgreSQL (keyset
// pagination over contacts.id, a page of profiles per batch as db/contacts/profile-pages.ts reads them,
// decideSend per contact), next to just reading the same batches. Standalone: npx tsx bench/audience.ts [--quick] [--audience 1000000]
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readProfilePage, type Carrying } from '../db/contacts/profile-pages';
import type { Pool } from '../db/pool';
import { decideSend, loadRuleSet, type ContactProfile, type MessageSpec } from '../rules/index';
import { freshDatabase, round, wholeNumberFlag } from './support';

const RULES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../rules');
const BATCH = 2_000;
const EVERYONE = { where: 'true', params: [] };
const CAMPAIGN: MessageSpec = { channel: 'email', type: 'campaign', resource: 'shop', category: 'promo' };

/**
 * Contacts straight into the store's tables with generate_series: the import path has its own benchmark,
 * and a million rows through it would only measure it again. The mix covers every global status, five
 * countries (one missing), inactive contacts, SMS on two in three, categories on one in four.
 */
export async function seedAudience(pool: Pool, n: number): Promise<void> {
  await pool.query(
    `INSERT INTO contacts (id, email, phone, status, active, country, timezone)
     SELECT 'aud-' || lpad(g::text, 8, '0'), 'a' || g || '@audience.example', '+4477' || lpad(g::text, 8, '0'),
       CASE WHEN g % 10 < 7 THEN 'subscribed'
         ELSE (ARRAY['unsubscribed', 'complainer', 'hard_bounced', 'unconfirmed', 'suspended', 'invalid'])[1 + g % 6]
       END,
       g % 50 <> 0,
       (ARRAY['US', 'DE', 'GB', 'FR', NULL])[1 + g % 5],
       (ARRAY['America/New_York', 'Europe/Berlin', 'Europe/London', 'Europe/Paris', 'America/Chicago'])[1 + g % 5]
     FROM generate_series(1, $1::int) g`,
    [n],
  );
  await pool.query(
    `INSERT INTO subscriptions (contact_id, resource, channel, address, status, priority, categories)
     SELECT c.id, 'shop', 'email', c.email,
       (ARRAY['subscribed', 'subscribed', 'subscribed', 'non_subscribed', 'unsubscribed', 'unconfirmed'])[1 + g % 6],
       0,
       CASE WHEN g % 4 = 0 THEN '{"promo": "unsubscribed"}'::jsonb ELSE '{}'::jsonb END
     FROM contacts c, LATERAL (SELECT substr(c.id, 5)::int AS g) x
     WHERE c.id LIKE 'aud-%'
     UNION ALL
     SELECT c.id, 'shop', 'sms', c.phone, (ARRAY['subscribed', 'non_subscribed'])[1 + g % 2], 1, '{}'::jsonb
     FROM contacts c, LATERAL (SELECT substr(c.id, 5)::int AS g) x
     WHERE c.id LIKE 'aud-%' AND g % 3 <> 0`,
  );
  // A store in use has been vacuumed: the first read of freshly inserted rows would otherwise pay for
  // setting their hint bits and the visibility map, which no campaign on a live store pays.
  await pool.query('VACUUM ANALYZE contacts');
  await pool.query('VACUUM ANALYZE subscriptions');
}

/**
 * Walks every contact in id order, one page of profiles at a time (the campaigns' reader); `each` sees every
 * page. With `carrying`, only the subscriptions that could carry that message, as a campaign reads them.
 */
export async function walk(
  pool: Pool,
  each: (profiles: Map<string, ContactProfile>) => void,
  carrying?: Carrying,
): Promise<number> {
  let after = '';
  let seen = 0;
  for (;;) {
    const { ids, profiles } = await readProfilePage(pool, EVERYONE, after, BATCH, carrying);
    if (ids.length === 0) return seen;
    each(profiles);
    seen += profiles.size;
    after = ids[ids.length - 1]!;
  }
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

export async function benchAudience(opts: {
  quick: boolean;
  audience?: number;
  databaseUrl?: string;
}): Promise<Record<string, unknown>> {
  const n = opts.audience ?? (opts.quick ? 10_000 : 100_000);
  const ruleSet = loadRuleSet(RULES_DIR);
  const db = await freshDatabase('audience', { databaseUrl: opts.databaseUrl, poolSize: 2 });
  try {
    const seed = await timed(() => seedAudience(db.pool, n));
    // One campaign, decided as of one instant, as a campaign send would.
    const at = new Date();
    const verdicts = { send: 0, suppress: 0, defer: 0 };
    const decideBatch = (profiles: Map<string, ContactProfile>) => {
      for (const contact of profiles.values())
        verdicts[decideSend(ruleSet, { contact, message: CAMPAIGN, at }).verdict]++;
    };
    // A first, untimed walk loads the freshly written pages into PostgreSQL's cache; then read, decide,
    // read: the reads bracket the decisions so whatever is left of warming favours neither side.
    await walk(db.pool, () => undefined, CAMPAIGN);
    const read1 = await timed(() => walk(db.pool, () => undefined, CAMPAIGN));
    const decided = await timed(() => walk(db.pool, decideBatch, CAMPAIGN));
    const read2 = await timed(() => walk(db.pool, () => undefined, CAMPAIGN));
    for (const pass of [read1, decided, read2])
      if (pass.value !== n) throw new Error(`audience pass saw ${pass.value} of ${n} contacts`);

    const readSeconds = (read1.seconds + read2.seconds) / 2;
    const decideRate = n / decided.seconds;
    const readRate = n / readSeconds;
    const result = {
      contacts: n,
      batchSize: BATCH,
      message: CAMPAIGN,
      seedSeconds: round(seed.seconds, 1),
      decideSeconds: round(decided.seconds, 2),
      contactsPerSecond: Math.round(decideRate),
      readOnlySeconds: round(readSeconds, 2),
      readOnlyContactsPerSecond: Math.round(readRate),
      ratioToReadOnly: round(decideRate / readRate, 3),
      verdicts,
    };
    console.log('audience benchmark');
    console.log(
      `  ${n.toLocaleString('en')} contacts decided in ${result.decideSeconds}s: ${result.contactsPerSecond.toLocaleString('en')} contacts/s (batches of ${BATCH})`,
    );
    console.log(
      `  reading the same batches only: ${result.readOnlyContactsPerSecond.toLocaleString('en')} contacts/s; ratio ${result.ratioToReadOnly}`,
    );
    console.log(
      `  verdicts: ${verdicts.send} send, ${verdicts.suppress} suppress, ${verdicts.defer} defer (seeded in ${result.seedSeconds}s)`,
    );
    return result;
  } finally {
    await db.drop();
  }
}

/** `--audience 1000000` (or `--audience=1000000`): how many contacts; a clear error for anything else. */
export function audienceFlag(argv: readonly string[]): number | undefined {
  return wholeNumberFlag(argv, '--audience', { what: 'contacts', max: 10_000_000, example: 1_000_000 });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchAudience({ quick: process.argv.includes('--quick'), audience: audienceFlag(process.argv) });
}
