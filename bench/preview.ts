// Campaign preview: `consentflow campaigns preview`'s work (campaigns/preview.ts: the segment's audience grouped
// by PostgreSQL into contacts with the same decision facts, each group decided once) over the whole stored
// audience, next to just reading the same columns into this process page by page (the campaigns' page reader,
// no segment filter, no decision) in the same run. The segment has a date condition in each contact's own time
// zone and selects every contact, so every contact is counted.
// Standalone: npx tsx bench/preview.ts [--quick] [--audience 1000000]
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { previewCampaign } from '../campaigns/preview';
import { loadRuleSet, type MessageSpec } from '../rules/index';
import { parseSegment } from '../segments/segment';
import { audienceFlag, seedAudience, timed, walk } from './audience';
import { freshDatabase, round } from './support';

const RULES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../rules');
const MESSAGE: MessageSpec = { channel: 'email', type: 'campaign', resource: 'shop', category: 'promo' };
const SEGMENT = parseSegment(
  JSON.stringify({
    id: 'bench-everyone-signed-up-a-week-ago',
    where: { all: [{ date: 'created_at', olderThan: '7 days' }, { not: { birthday: 'today' } }] },
  }),
);

export async function benchPreview(opts: {
  quick: boolean;
  audience?: number;
  databaseUrl?: string;
}): Promise<Record<string, unknown>> {
  const n = opts.audience ?? (opts.quick ? 10_000 : 1_000_000);
  const ruleSet = loadRuleSet(RULES_DIR);
  const db = await freshDatabase('preview', { databaseUrl: opts.databaseUrl, poolSize: 4 });
  try {
    const seed = await timed(() => seedAudience(db.pool, n));
    // Contacts were created just now: a month later, all of them signed up more than 7 days ago.
    const at = new Date(Date.now() + 30 * 86_400_000);
    await walk(db.pool, () => undefined, MESSAGE); // warms PostgreSQL's cache, untimed
    const read1 = await timed(() => walk(db.pool, () => undefined, MESSAGE));
    const preview = await timed(() => previewCampaign(db.pool, ruleSet, SEGMENT, MESSAGE, at));
    const read2 = await timed(() => walk(db.pool, () => undefined, MESSAGE));
    for (const seen of [read1.value, read2.value, preview.value.total])
      if (seen !== n) throw new Error(`preview benchmark saw ${seen} of ${n} contacts`);
    const readSeconds = (read1.seconds + read2.seconds) / 2;
    const result = {
      contacts: n,
      message: MESSAGE,
      segment: SEGMENT.where,
      seedSeconds: round(seed.seconds, 1),
      previewSeconds: round(preview.seconds, 2),
      contactsPerSecond: Math.round(n / preview.seconds),
      readOnlySeconds: round(readSeconds, 2),
      readOnlyContactsPerSecond: Math.round(n / readSeconds),
      // Preview time over read time: how much the segment filter and the decisions add to reading.
      ratioToReadOnly: round(preview.seconds / readSeconds, 3),
      verdicts: preview.value.verdicts,
      rules: Object.keys(preview.value.reasons).length,
    };
    console.log('preview benchmark');
    console.log(
      `  ${n.toLocaleString('en')} contacts previewed in ${result.previewSeconds}s (${result.contactsPerSecond.toLocaleString('en')} contacts/s; target under 10 s for 1M)`,
    );
    console.log(
      `  reading the same pages and columns only: ${result.readOnlySeconds}s; preview takes ${result.ratioToReadOnly}x as long`,
    );
    console.log(
      `  verdicts: ${result.verdicts.send} send, ${result.verdicts.suppress} suppress, ${result.verdicts.defer} defer (seeded in ${result.seedSeconds}s)`,
    );
    return result;
  } finally {
    await db.drop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchPreview({ quick: process.argv.includes('--quick'), audience: audienceFlag(process.argv) });
}
