// Feedback counted where the consent server applies it, for Prometheus at GET /admin/metrics (operator token).
// The worker's metrics endpoint (worker/metrics.ts) cannot count these: feedback never passes through a worker.
// Labels are bounded: the kind is one of FEEDBACK_KINDS (else "other"), the source one of the server's own
// paths (a webhook provider this server implements, or a link), the result one of three words.
import { FEEDBACK_KINDS } from '../db/contacts/feedback-event';
import type { FeedbackResult } from '../db/contacts/feedback';

const counts = new Map<string, number>();
const KINDS = new Set<string>(FEEDBACK_KINDS);

export type FeedbackSource = `webhook:${string}` | 'link';

/** One applied feedback event: `changed` (a ledger row written), `unchanged`, or `duplicate` (seen before). */
export function countFeedback(
  kind: string,
  source: FeedbackSource,
  result: Pick<FeedbackResult, 'changes' | 'duplicate'>,
): void {
  const outcome = result.duplicate ? 'duplicate' : result.changes > 0 ? 'changed' : 'unchanged';
  const key = [KINDS.has(kind) ? kind : 'other', source, outcome].join('\u0000');
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** The Prometheus text exposition of the counters this process has. */
export function metricsText(): string {
  const lines = [
    '# HELP consentflow_feedback_total feedback events applied by the consent server, by kind, source and result',
    '# TYPE consentflow_feedback_total counter',
  ];
  for (const [key, n] of [...counts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [kind, source, outcome] = key.split('\u0000');
    lines.push(`consentflow_feedback_total{kind="${kind}",source="${source}",result="${outcome}"} ${n}`);
  }
  return `${lines.join('\n')}\n`;
}
