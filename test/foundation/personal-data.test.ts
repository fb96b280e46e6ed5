import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkBusinessId, checkContactId, checkEventProperties } from '../../client/automation-input';
import { contactIdProblem, looksLikePhone, personalDataPaths } from '../../contracts/personal-data';

// The store gives every contact a random UUID (gen_random_uuid()). Some of them hold a hyphen-separated run of
// digits that starts with "00" — "…-8d57-004460487702" reads as an international number dialled with 00 — and
// the client refused to start an automation for that contact (a clean-clone CI's demo hit one).

/** A v4-shaped UUID whose hex groups are mostly digits, some starting with "00": the shapes that read as phones. */
function digitHeavyUuid(seed: number): string {
  let s = seed >>> 0; // mulberry32
  const next = (n: number): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const hex = '0123456789abcdef';
  const group = (len: number, first?: string): string => {
    let out = first ?? '';
    if (!first && next(2) === 0) out = '00';
    while (out.length < len) out += next(8) === 0 ? hex[10 + next(6)]! : String(next(10));
    return out;
  };
  return [group(8), group(4), group(4, '4'), group(4, '89ab'[next(4)]), group(12)].join('-');
}

const FAILED_IN_CI = 'ebaa0b23-84b9-44cd-8d57-004460487702';
const uuids = [
  FAILED_IN_CI,
  'abcdef12-0012-4345-8678-1234abcdef00',
  ...Array.from({ length: 5000 }, (_, i) => digitHeavyUuid(i + 1)),
  ...Array.from({ length: 5000 }, () => randomUUID()),
];

describe('a store contact id (a UUID) is never taken for personal data', () => {
  it('the generated shapes include ones the phone pattern used to match', () => {
    // Guards the generator: without such ids the tests below could not fail. The 00-prefixed half of the
    // phone pattern as it stood before UUIDs were told apart.
    const dialledWith00 = /(?:^|[^\w+])00\d(?:[\s().-]?\d){7,14}(?!\w)/;
    expect(uuids.filter((id) => dialledWith00.test(id)).length).toBeGreaterThan(100);
  });

  it('passes the contact id check, in either case', () => {
    const refused = uuids.flatMap((id) => [id, id.toUpperCase()]).filter((id) => contactIdProblem(id));
    expect(refused).toEqual([]);
    expect(() => checkContactId(FAILED_IN_CI)).not.toThrow();
  });

  it('passes as an order id and as an event property, alone or inside text', () => {
    for (const id of uuids.slice(0, 2000)) {
      expect(() => checkBusinessId('order id', id)).not.toThrow();
      expect(personalDataPaths({ ref: id, note: `ticket ${id} (closed)`, ids: [id, id] })).toEqual([]);
    }
    expect(checkEventProperties({ ref: FAILED_IN_CI }, { id: 'x' })).toEqual({ ref: FAILED_IN_CI });
  });
});

describe('phone numbers are still found, UUIDs or not around them', () => {
  const phones = [
    '+44 20 7946 0958',
    '0044 20 7946 0958',
    '+1 (415) 555-2671',
    '415-555-2671',
    '+4915112345678',
  ];

  it.each(phones)('%s alone, before, after and between UUIDs', (phone) => {
    const id = FAILED_IN_CI;
    for (const text of [phone, `${phone} ${id}`, `${id} ${phone}`, `${id}, call ${phone}, ${randomUUID()}`]) {
      expect(looksLikePhone(text), text).toBe(true);
      expect(personalDataPaths({ note: text }), text).toEqual(['note']);
    }
    expect(contactIdProblem(phone.replace(/[\s()]/g, ''))).toMatch(
      /looks like an email address or phone number/,
    );
  });
});
