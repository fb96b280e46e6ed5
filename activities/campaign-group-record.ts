// What one campaign delivery group's calls came to, written in bulk inside the transaction that holds its rows
// (campaign-deliver-batch.ts), committed by the caller as one: attempts finished (or, never called, taken
// back), acceptances `sent`, template errors and refusals `failed` with their outcomes (and the refusal's
// feedback to apply after the commit), transient failures noted on rows that stay pending.
import type { PoolClient } from '../db/pool';
import type { Call } from './campaign-group-calls';
import { acceptanceOf, recordAcceptances, type Acceptance } from './deliver-accepted';
import type { Classified } from './deliver-transport';
import { ActivityErrorType } from './errors';
import { stepRefOf } from './outcomes';
import { dropUncalledAttempts, finishAttempts, writeOutcomes, type AttemptFinish } from './outcomes-batch';
import type { OutboxEntry } from './store';
import { markFailedRows, noteErrors } from './store-batch';

type Failed = Call & { failure: Classified };

export interface GroupRecord {
  accepted: Acceptance[];
  refused: Failed[];
  transient: Failed[];
}

/** The acceptances among `calls` (recorded afresh if this transaction's connection breaks). */
export function acceptancesOf(calls: readonly Call[]): Acceptance[] {
  return calls.flatMap((c) => ('providerId' in c ? [acceptanceOf(c.row, c.attemptId, c.providerId)] : []));
}

export async function recordGroup(
  client: PoolClient,
  calls: readonly Call[],
  templateErrors: readonly { row: OutboxEntry; detail: string }[],
): Promise<GroupRecord> {
  const failed = calls.filter((c): c is Failed => 'failure' in c);
  const refused = failed.filter((c) => c.failure.kind === 'permanent');
  const transient = failed.filter((c) => c.failure.kind !== 'permanent');
  await finishAttempts(
    client,
    failed.map((c): AttemptFinish => ({
      id: c.attemptId,
      result: c.failure.kind,
      detail: c.failure.detail,
      maybeAccepted: c.failure.maybeAccepted,
    })),
  );
  await dropUncalledAttempts(
    client,
    calls.flatMap((c) => ('skipped' in c ? [c.attemptId] : [])),
  );
  await markFailedRows(client, [
    ...templateErrors.map((b) => ({
      key: b.row.idempotencyKey,
      type: ActivityErrorType.TemplateError,
      error: b.detail,
    })),
    ...refused.map((c) => ({
      key: c.row.idempotencyKey,
      type: ActivityErrorType.PermanentDeliveryFailure,
      error: c.failure.detail,
      ...(c.failure.feedback ? { feedback: c.failure.feedback } : {}),
    })),
  ]);
  await noteErrors(
    client,
    transient.map((c) => ({ key: c.row.idempotencyKey, error: c.failure.detail })),
  );
  await writeOutcomes(client, [
    ...templateErrors.map((b) =>
      failedOutcome(b.row, 'template', b.detail, `The template could not be rendered: ${b.detail}`),
    ),
    ...refused.map((c) =>
      failedOutcome(
        c.row,
        'recipient-refused',
        c.failure.detail,
        `The provider refused the message: ${c.failure.detail}`,
      ),
    ),
  ]);
  const accepted = acceptancesOf(calls);
  await recordAcceptances(client, accepted);
  return { accepted, refused, transient };
}

function failedOutcome(
  row: OutboxEntry,
  kind: 'template' | 'recipient-refused',
  detail: string,
  why: string,
) {
  return {
    ref: stepRefOf(row),
    message: messageOf(row),
    o: {
      outcome: 'failed' as const,
      verdict: 'send' as const,
      reasons: [{ rule: kind === 'template' ? 'deliver:template' : 'deliver:refused', message: why }],
      failureKind: kind,
      detail,
      decisionId: row.decisionId,
    },
  };
}

function messageOf(row: OutboxEntry): { channel: OutboxEntry['channel']; type: string } {
  return { channel: row.channel, type: row.messageType };
}
