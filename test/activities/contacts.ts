// Test contacts written through the contact store, as an import or the API would.
import type { Pool } from '../../db/pool';
import { applyFeedback, upsertContact } from '../../db/contacts';

export interface TestContact {
  id: string;
  email: string;
  phone?: string;
  first_name?: string;
}

/** A subscribed contact in Berlin, with an email subscription and, given a phone, an SMS one. */
export async function seedContact(pool: Pool, c: TestContact): Promise<void> {
  await upsertContact(pool, {
    id: c.id,
    email: c.email,
    phone: c.phone ?? null,
    first_name: c.first_name ?? null,
    country: 'DE',
    timezone: 'Europe/Berlin',
    status: 'subscribed',
    email_status: 'subscribed',
    ...(c.phone ? { sms_status: 'subscribed' } : {}),
  });
}

/** The contact clicked "unsubscribe" in an email. */
export async function unsubscribeEmail(pool: Pool, email: string): Promise<void> {
  await applyFeedback(pool, { kind: 'unsubscribe', channel: 'email', address: email, source: 'test' });
}
