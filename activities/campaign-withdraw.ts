// withdrawCancelledCampaign: the rows of a cancelled campaign that no delivery reached will never be sent. Left
// `pending` they would read as still going out, and frequency caps count a pending row as a promised message
// (activities/history.ts), so a contact would be capped by a campaign message they never got. They are
// withdrawn, each with the outcome `stopped` saying why, a chunk per statement (atomic on its own; a retry
// goes on where the last chunk ended). Only rows never handed to a provider (no delivery attempt row; a group
// closed unsent keeps none): a row with one may be the provider's already (a worker killed mid-call) and stays
// as its delivery left it.
import type { Pool } from '../db/pool';
import type { DecisionReason } from '../rules/model';
import { heartbeat } from './context';

const CHUNK = 10_000;
const CANCELLED: DecisionReason[] = [
  { rule: 'campaign:cancelled', message: 'The campaign was cancelled before this message was sent.' },
];

const WITHDRAW = `
  WITH chunk AS (
    SELECT idempotency_key FROM outbox
     WHERE campaign_id = $1 AND state = 'pending'
       AND NOT EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.message_key = outbox.idempotency_key)
     ORDER BY contact_id LIMIT $2
  ), withdrawn AS (
    UPDATE outbox o SET state = 'withdrawn' FROM chunk c
     WHERE o.idempotency_key = c.idempotency_key AND o.state = 'pending'
    RETURNING o.idempotency_key AS key, o.workflow_id, o.run_chain, o.step, o.contact_id, o.channel,
              o.message_type, o.not_before
  ), recorded AS (
    INSERT INTO step_outcomes (message_key, workflow_id, run_chain, step, contact_id, channel, message_type,
                               outcome, verdict, reasons)
    SELECT w.key, w.workflow_id, w.run_chain, w.step, w.contact_id, w.channel, w.message_type, 'stopped',
           CASE WHEN w.not_before IS NULL THEN 'send' ELSE 'defer' END, $3::jsonb
      FROM withdrawn w
    ON CONFLICT (message_key) DO UPDATE SET outcome = 'stopped', reasons = EXCLUDED.reasons
  )
  SELECT count(*)::int AS n FROM withdrawn`;

export function createWithdrawCancelledCampaign(deps: { pool: Pool }) {
  return async function withdrawCancelledCampaign(input: {
    campaignId: string;
  }): Promise<{ withdrawn: number }> {
    let withdrawn = 0;
    for (;;) {
      const { rows } = await deps.pool.query<{ n: number }>(WITHDRAW, [
        input.campaignId,
        CHUNK,
        JSON.stringify(CANCELLED),
      ]);
      const n = rows[0]?.n ?? 0;
      withdrawn += n;
      heartbeat();
      if (n < CHUNK) return { withdrawn };
    }
  };
}
