// The area-code table the state presumption reads (rules/data/us-area-codes.json) against libphonenumber's
// metadata, which the contact store already checks phones with: no code of the table may belong to another
// NANP country (Canada, the Caribbean), whatever state it names. The states themselves were checked against
// libphonenumber's geocoding data (docs/rules.md says how).
import { describe, expect, it } from 'vitest';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import areaCodes from '../../rules/data/us-area-codes.json';

const codes = Object.entries(areaCodes.states).flatMap(([state, list]) =>
  list.map((code) => ({ state, code })),
);

describe('us-area-codes.json', () => {
  it('lists each code once, under an ISO 3166-2 US state', () => {
    expect(new Set(codes.map((c) => c.code)).size).toBe(codes.length);
    for (const { state, code } of codes) {
      expect(state).toMatch(/^US-[A-Z]{2}$/);
      expect(code).toMatch(/^[2-9][0-9]{2}$/);
    }
  });

  it('holds no code libphonenumber places outside the US (codes newer than its metadata are unknown to it)', () => {
    const elsewhere = codes.filter(({ code }) => {
      const country = parsePhoneNumberFromString(`+1${code}2345678`)?.country;
      return country !== undefined && country !== 'US';
    });
    expect(elsewhere).toEqual([]);
    const known = codes.filter(
      ({ code }) => parsePhoneNumberFromString(`+1${code}2345678`)?.country === 'US',
    );
    expect(known.length).toBeGreaterThan(350);
  });

  it('holds no toll-free or other non-geographic code', () => {
    for (const c of [
      '800',
      '833',
      '844',
      '855',
      '866',
      '877',
      '888',
      '500',
      '521',
      '533',
      '600',
      '700',
      '900',
    ])
      expect(codes.map((x) => x.code)).not.toContain(c);
  });
});
