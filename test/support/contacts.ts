// Test contacts through the real contact store, and the decision log as a test reads it.
import { upsertContact } from '../../db/contacts/store';
import type { Pool } from '../../db/pool';
import type { DecisionReason, GlobalStatus, SubscriptionStatus } from '../../rules/model';

export interface SeedSpec {
  /** Email local part and a stable suffix: `key@example.test`. */
  key: string;
  phone?: string;
  status?: GlobalStatus;
  emailStatus?: SubscriptionStatus;
  smsStatus?: SubscriptionStatus;
  country?: string;
  timezone?: string;
  firstName?: string;
}

let phoneCounter = 100;

export function defaultPhone(country: string | undefined): string {
  phoneCounter++;
  return country === 'US'
    ? `+1415555${String(phoneCounter).padStart(4, '0')}`
    : `+447700900${String(phoneCounter).padStart(3, '0')}`;
}

/** A contact with an email and an SMS subscription, through the store's own upsert (ledger included). */
export async function seedContact(pool: Pool, spec: SeedSpec): Promise<string> {
  return upsertContact(
    pool,
    {
      email: `${spec.key}@example.test`,
      phone: spec.phone ?? defaultPhone(spec.country),
      first_name: spec.firstName ?? spec.key,
      country: spec.country ?? 'GB',
      timezone: spec.timezone ?? 'Europe/London',
      status: spec.status ?? 'subscribed',
      email_status:
        spec.emailStatus ?? (spec.status && spec.status !== 'subscribed' ? spec.status : 'subscribed'),
      sms_status:
        spec.smsStatus ?? (spec.status && spec.status !== 'subscribed' ? spec.status : 'subscribed'),
    },
    'import',
  );
}

export interface LoggedDecision {
  step: string;
  channel: string;
  verdict: string;
  reasons: DecisionReason[];
  not_before: Date | null;
}

export async function decisionsFor(pool: Pool, workflowId: string): Promise<LoggedDecision[]> {
  const { rows } = await pool.query<LoggedDecision>(
    `SELECT step, channel, verdict, reasons, not_before FROM decision_log WHERE workflow_id = $1 ORDER BY id`,
    [workflowId],
  );
  return rows;
}
