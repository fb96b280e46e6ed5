// The demo's cast: one contact per situation the rules must tell apart. Addresses use reserved example
// domains and fictional numbers; they live in PostgreSQL only, never in Temporal.
import { addToBlacklist } from '../db/contacts/blacklist';
import { upsertContact } from '../db/contacts/store';
import type { ContactInput } from '../db/contacts/types';
import type { Pool } from '../db/pool';

export interface DemoContact {
  id: string;
  email: string;
  phone: string;
}

export type DemoContacts = Record<
  'ada' | 'ben' | 'chloe' | 'dan' | 'eve' | 'finn' | 'gia' | 'hugo',
  DemoContact
>;

export const DEMO_CAST: Record<
  keyof DemoContacts,
  ContactInput & { email: string; phone: string; note: string }
> = {
  ada: {
    note: 'subscribed everywhere (GB)',
    email: 'ada@demo.example',
    phone: '+447700900101',
    country: 'GB',
    timezone: 'Europe/London',
    status: 'subscribed',
    email_status: 'subscribed',
    sms_status: 'subscribed',
  },
  ben: {
    note: 'bought as a guest, never subscribed (US)',
    email: 'ben@demo.example',
    phone: '+14155550102',
    country: 'US',
    timezone: 'America/New_York',
    status: 'subscribed',
    email_status: 'non_subscribed',
    sms_status: 'non_subscribed',
  },
  chloe: {
    note: 'unsubscribed from everything (FR)',
    email: 'chloe@demo.example',
    phone: '+33612345603',
    country: 'FR',
    timezone: 'Europe/Paris',
    status: 'unsubscribed',
    email_status: 'unsubscribed',
    sms_status: 'unsubscribed',
  },
  dan: {
    note: 'subscribed, US, signs up just before 08:00 in Los Angeles',
    email: 'dan@demo.example',
    phone: '+14155550104',
    country: 'US',
    timezone: 'America/Los_Angeles',
    status: 'subscribed',
    email_status: 'subscribed',
    sms_status: 'subscribed',
  },
  eve: {
    note: 'subscribed, but her email address is blacklisted (DE)',
    email: 'eve@demo.example',
    phone: '+4915123456705',
    country: 'DE',
    timezone: 'Europe/Berlin',
    status: 'subscribed',
    email_status: 'subscribed',
    sms_status: 'subscribed',
  },
  finn: {
    note: 'subscribed, unsubscribes after the first welcome email (IE)',
    email: 'finn@demo.example',
    phone: '+353851234506',
    country: 'IE',
    timezone: 'Europe/Dublin',
    status: 'subscribed',
    email_status: 'subscribed',
    sms_status: 'subscribed',
  },
  gia: {
    note: 'subscribed, starts a trial and creates a project (IT)',
    email: 'gia@demo.example',
    phone: '+393123456707',
    country: 'IT',
    timezone: 'Europe/Rome',
    status: 'subscribed',
    email_status: 'subscribed',
    sms_status: 'subscribed',
  },
  hugo: {
    note: 'subscribed, starts a trial and never creates a project (ES)',
    email: 'hugo@demo.example',
    phone: '+34612345608',
    country: 'ES',
    timezone: 'Europe/Madrid',
    status: 'subscribed',
    email_status: 'subscribed',
    sms_status: 'subscribed',
  },
};

export async function seedDemoContacts(pool: Pool): Promise<DemoContacts> {
  const out = {} as DemoContacts;
  for (const [name, { note, ...input }] of Object.entries(DEMO_CAST) as [
    keyof DemoContacts,
    (typeof DEMO_CAST)[keyof DemoContacts],
  ][]) {
    const id = await upsertContact(
      pool,
      { ...input, first_name: name[0]!.toUpperCase() + name.slice(1), source: note },
      'import',
    );
    out[name] = { id, email: input.email, phone: input.phone };
  }
  await addToBlacklist(pool, 'email', DEMO_CAST.eve.email, { reason: 'demo: abuse report' });
  return out;
}
