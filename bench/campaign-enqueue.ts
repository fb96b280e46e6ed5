// The campaign benchmark's enqueue phase and its baseline (bench/campaign.ts): the campaign's own page activity
// over every range at once, and a COPY of the very rows it wrote into the same table, emptied as it found it.
import { createReadStream, createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { createEnqueueCampaignPage } from '../activities/campaign-enqueue';
import type { CampaignMessage, PageRange } from '../contracts/campaign';
import type { Pool } from '../db/pool';
import type { RuleSet } from '../rules/index';

const PAGE = 5_000;
const MESSAGE: CampaignMessage = {
  channel: 'email',
  type: 'campaign',
  resource: 'shop',
  category: 'promo',
  template: 'campaign-email',
};
/** Who a marketer sends a promo email to: subscribed contacts with a subscribed shop email (the rules decide the rest). */
const SEGMENT = {
  id: 'promo-audience',
  where: {
    all: [
      { status: 'subscribed' },
      { subscription: { resource: 'shop', channel: 'email', status: 'subscribed' } },
    ],
  },
};
const OUTBOX_COLUMNS =
  'idempotency_key, workflow_id, step, contact_id, channel, message_type, address, template, run_chain, campaign_id, not_before';

export interface EnqueueRound {
  seconds: number;
  decided: number;
  enqueued: number;
}

/** The campaign's page activity over every range at once, as its child workflows run on one worker. */
export async function enqueueCampaign(
  pool: Pool,
  rules: { current(): RuleSet },
  campaignId: string,
  ranges: PageRange[],
): Promise<EnqueueRound> {
  // A new worker's activities: what a range's pages learned (their id windows) starts over, as it would.
  const enqueue = createEnqueueCampaignPage({ pool, rules });
  const at = new Date().toISOString();
  const t0 = performance.now();
  let decided = 0;
  let enqueued = 0;
  await Promise.all(
    ranges.map(async (range) => {
      let after = range.after;
      for (;;) {
        const page = await enqueue({
          campaignId,
          segment: SEGMENT,
          message: MESSAGE,
          range,
          after,
          pageSize: PAGE,
          at,
        });
        decided += page.counts.decided ?? 0;
        enqueued += page.counts.enqueued ?? 0;
        if (!page.cursor) break;
        after = page.cursor;
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, decided, enqueued };
}

/**
 * The baseline: the campaign's rows, dumped, and COPY'd back into the same table and indexes, emptied as the
 * campaign found them. TRUNCATE, not DELETE and VACUUM: those keep the indexes' pages allocated, and COPY
 * would not pay for growing the files, which the campaign did (the bench's database holds no other rows).
 */
export async function copyBaseline(pool: Pool, campaignId: string, dir: string): Promise<number> {
  const file = path.join(dir, 'outbox.copy');
  const dump = await pool.connect();
  try {
    await pipeline(
      dump.query(
        copyTo(`COPY (SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE campaign_id = '${campaignId}') TO STDOUT`),
      ),
      createWriteStream(file),
    );
    await dump.query('TRUNCATE outbox');
    await dump.query('CHECKPOINT');
    const c0 = performance.now();
    await pipeline(
      createReadStream(file),
      dump.query(copyFrom(`COPY outbox (${OUTBOX_COLUMNS}) FROM STDIN`)),
    );
    return (performance.now() - c0) / 1000;
  } finally {
    dump.release();
  }
}
