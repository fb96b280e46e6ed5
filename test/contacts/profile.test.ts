// Profile fields, custom fields, identifiers and the profile shape the decision engine reads.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { ContactProfile } from '../../rules/model';
import { createTestDatabase, type TestDatabase } from '../support/db';
import {
  ContactFieldError,
  defineCustomField,
  loadProfiles,
  loadTemplateFields,
  showContact,
  upsertContact,
} from '../../client/contacts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function fieldError(p: Promise<unknown>): Promise<{ field: string; reason: string }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ContactFieldError);
  return err as ContactFieldError;
}

describe('profile fields are validated and normalized on the way in', () => {
  test('email is lower-cased, phone becomes E.164, codes are normalized', async () => {
    const id = await upsertContact(db.pool, {
      email: '  Ada.Lovelace@Example.COM ',
      phone: '0044 (7700) 900-123',
      first_name: 'Ada',
      last_name: 'Lovelace',
      gender: 'female',
      language: 'EN',
      country: 'gb',
      timezone: 'europe/london',
      birthday: '1815-12-10'.replace('1815', '1990'),
    });
    const d = await showContact(db.pool, id);
    expect(d?.contact).toMatchObject({
      email: 'ada.lovelace@example.com',
      phone: '+447700900123',
      gender: 2,
      language: 'en',
      country: 'GB',
      timezone: 'Europe/London',
      birthday: '1990-12-10',
    });
  });

  test.each([
    ['email', { email: 'not-an-email' }, /not an email address/],
    ['phone', { email: 'p@example.com', phone: '07700900123' }, /E\.164/],
    ['gender', { email: 'g@example.com', gender: '3' }, /ISO\/IEC 5218/],
    ['language', { email: 'l@example.com', language: 'eng' }, /ISO 639-1/],
    ['country', { email: 'c@example.com', country: 'UK' }, /ISO 3166-1/],
    ['timezone', { email: 't@example.com', timezone: 'Europe/Atlantis' }, /IANA time zone/],
    ['birthday', { email: 'b@example.com', birthday: '2001-02-30' }, /YYYY-MM-DD/],
    ['birthday', { email: 'b@example.com', birthday: '2999-01-01' }, /plausible/],
    ['status', { email: 's@example.com', status: 'happy' }, /not a global status/],
  ])('a bad %s is refused with the field and how to write it', async (field, input, reason) => {
    const err = await fieldError(upsertContact(db.pool, input));
    expect(err.field).toBe(field);
    expect(err.reason).toMatch(reason);
  });

  test('nothing is written for a refused contact', async () => {
    await fieldError(upsertContact(db.pool, { email: 'refused@example.com', country: 'ZZ' }));
    const { rowCount } = await db.pool.query(`SELECT 1 FROM contacts WHERE email = 'refused@example.com'`);
    expect(rowCount).toBe(0);
  });
});

describe('typed custom fields (the eight Altcraft kinds)', () => {
  beforeAll(async () => {
    await defineCustomField(db.pool, { scope: 'profile', name: 'orders', kind: 'number' });
    await defineCustomField(db.pool, { scope: 'profile', name: 'ltv', kind: 'float' });
    await defineCustomField(db.pool, { scope: 'profile', name: 'nickname', kind: 'line' });
    await defineCustomField(db.pool, { scope: 'profile', name: 'last_order', kind: 'date' });
    await defineCustomField(db.pool, { scope: 'profile', name: 'vip', kind: 'boolean' });
    await defineCustomField(db.pool, {
      scope: 'profile',
      name: 'plan',
      kind: 'enum',
      options: ['basic', 'pro'],
    });
    await defineCustomField(db.pool, { scope: 'profile', name: 'reg_ip', kind: 'ip' });
    await defineCustomField(db.pool, { scope: 'profile', name: 'products', kind: 'tags' });
  });

  test('values of every kind are stored typed and reach templates by name', async () => {
    const id = await upsertContact(db.pool, {
      email: 'typed@example.com',
      first_name: 'Tess',
      custom: {
        orders: '12',
        ltv: '99.5',
        nickname: 'T',
        last_order: '2019-08-22T02:00:00.000+02:00',
        vip: 'yes',
        plan: 'pro',
        reg_ip: '127.0.0.1',
        products: 'Product-1, Product 2|Product_3',
      },
    });
    const fields = await loadTemplateFields(db.pool, id);
    expect(fields).toMatchObject({
      first_name: 'Tess',
      email: 'typed@example.com',
      orders: 12,
      ltv: 99.5,
      nickname: 'T',
      last_order: '2019-08-22T00:00:00.000Z',
      vip: true,
      plan: 'pro',
      reg_ip: '127.0.0.1',
      products: ['Product-1', 'Product 2', 'Product_3'],
    });
  });

  test.each([
    ['orders', '1.5'],
    ['ltv', 'lots'],
    ['last_order', '2019-08-22'],
    ['vip', 'maybe'],
    ['plan', 'gold'],
    ['reg_ip', '256.1.1.1'],
  ])('a %s value of the wrong type (%s) is refused on write', async (name, value) => {
    const err = await fieldError(
      upsertContact(db.pool, { email: 'typed@example.com', custom: { [name]: value } }),
    );
    expect(err.field).toBe(`custom.${name}`);
  });

  test('an undefined custom field is refused with how to define it', async () => {
    const err = await fieldError(
      upsertContact(db.pool, { email: 'typed@example.com', custom: { shoe_size: 42 } }),
    );
    expect(err.reason).toContain('contacts fields define shoe_size');
  });
});

describe('identifiers', () => {
  test('one contact per email and per phone: writing again updates the same contact', async () => {
    const a = await upsertContact(db.pool, { email: 'same@example.com', first_name: 'One' });
    const b = await upsertContact(db.pool, {
      email: 'SAME@example.com',
      phone: '+14155550100',
      first_name: 'Two',
    });
    const c = await upsertContact(db.pool, { phone: '+1 415 555 0100', last_name: 'Three' });
    expect(new Set([a, b, c]).size).toBe(1);
    expect(await loadTemplateFields(db.pool, a)).toMatchObject({ first_name: 'Two', last_name: 'Three' });
  });

  test('an email of one contact and a phone of another in one write is refused, naming both', async () => {
    const a = await upsertContact(db.pool, { email: 'owner-a@example.com' });
    const b = await upsertContact(db.pool, { phone: '+14155550199' });
    const err = await fieldError(
      upsertContact(db.pool, { email: 'owner-a@example.com', phone: '+14155550199' }),
    );
    expect(err.field).toBe('phone');
    expect(err.reason).toContain(b);
    expect(err.reason).toContain(a);
  });

  test('a caller-chosen id is kept, and an id with an address in it is refused', async () => {
    expect(await upsertContact(db.pool, { id: 'crm-42', email: 'crm42@example.com' })).toBe('crm-42');
    expect((await fieldError(upsertContact(db.pool, { id: 'x@example.com' }))).field).toBe('id');
  });
});

describe('loadProfiles', () => {
  test('returns the documented ContactProfile shape for many contacts at once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      ids.push(
        await upsertContact(db.pool, {
          email: `batch${i}@example.com`,
          phone: `+1415555${String(1000 + i)}`,
          country: 'US',
          timezone: 'America/Chicago',
          resource: 'shop',
          sms_status: i % 2 ? 'non_subscribed' : undefined,
        }),
      );
    }
    const profiles = await loadProfiles(db.pool, [...ids, 'no-such-contact']);
    expect(profiles.size).toBe(30);
    expect(profiles.has('no-such-contact')).toBe(false);
    for (const p of profiles.values()) expect(Value.Errors(ContactProfile, p).First()).toBeUndefined();
    expect(profiles.get(ids[1]!)).toEqual({
      id: ids[1],
      status: 'subscribed',
      active: true,
      country: 'US',
      timezone: 'America/Chicago',
      blacklist: { email: false, phone: false },
      subscriptions: [
        {
          resource: 'shop',
          channel: 'email',
          address: 'batch1@example.com',
          status: 'subscribed',
          priority: 0,
        },
        { resource: 'shop', channel: 'sms', address: '+14155551001', status: 'non_subscribed', priority: 0 },
      ],
    });
  });
});
