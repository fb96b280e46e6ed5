// Every cell of the Omnisend tables (reference document 004), transcribed from the document itself:
// a ✔ means the message reaches a contact whose channel status is that column.
import { describe, expect, it } from 'vitest';
import { decideSend, loadRuleSet, type MessageType } from '../../rules/index';
import { NOON, RULES_DIR, contact, msg, sub } from './support';

//                                      SUBSCRIBED | NON-SUBSCRIBED | UNSUBSCRIBED
const EMAIL_TABLE = `
campaign                   | ✔ |   |
welcome                    | ✔ |   |
birthday                   | ✔ |   |
abandoned_cart             | ✔ | ✔ |
abandoned_checkout         | ✔ | ✔ |
product_abandoned          | ✔ | ✔ |
browse_abandoned           | ✔ | ✔ |
order_confirmation         | ✔ | ✔ | ✔
shipping_confirmation      | ✔ | ✔ | ✔
cancellation_confirmation  | ✔ | ✔ | ✔
order_followup             | ✔ | ✔ |
customer_reactivation      | ✔ | ✔ |
back_in_stock              | ✔ | ✔ |
product_review             | ✔ | ✔ |
replenishment_reminder     | ✔ | ✔ |
custom_workflow            | ✔ | ✔ |
segment_workflow           | ✔ |   |
custom_event               | ✔ | ✔ | ✔
doi_confirmation           | ✔ | ✔ |
`;
// doi_confirmation is not in the reference table: it is consentflow's double opt-in confirmation email, sent
// to the unconfirmed sign-up (non-subscribed column) and never to an address that unsubscribed.

// "to EU and all countries except the USA"
const SMS_TABLE = `
campaign                   | ✔ |   |
welcome                    | ✔ |   |
birthday                   | ✔ |   |
abandoned_cart             | ✔ |   |
abandoned_checkout         | ✔ |   |
product_abandoned          | ✔ |   |
browse_abandoned           | ✔ |   |
order_confirmation         | ✔ | ✔ | ✔
shipping_confirmation      | ✔ | ✔ | ✔
cancellation_confirmation  | ✔ | ✔ | ✔
order_followup             | ✔ |   |
customer_reactivation      | ✔ |   |
product_review             | ✔ | ✔ |
replenishment_reminder     | ✔ | ✔ |
custom_workflow            | ✔ |   |
`;

// "... to the USA": CTIA, confirmations only to subscribed contacts.
const SMS_US_TABLE = SMS_TABLE.replace(/(_confirmation\s+\| ✔ \|) ✔ \| ✔/g, '$1   |  ');

const COLUMNS = ['subscribed', 'non_subscribed', 'unsubscribed'] as const;

function parse(table: string): Map<MessageType, boolean[]> {
  const rows = new Map<MessageType, boolean[]>();
  for (const line of table.trim().split('\n')) {
    const [type, ...cells] = line.split('|').map((c) => c.trim());
    rows.set(
      type as MessageType,
      COLUMNS.map((_, i) => cells[i] === '✔'),
    );
  }
  return rows;
}

const rules = loadRuleSet(RULES_DIR);
const tables = [
  {
    name: 'email, outside the US',
    channel: 'email',
    country: 'DE',
    timezone: 'Europe/Berlin',
    rows: parse(EMAIL_TABLE),
  },
  {
    name: 'email, US',
    channel: 'email',
    country: 'US',
    timezone: 'America/New_York',
    rows: parse(EMAIL_TABLE),
  },
  {
    name: 'SMS, EU and all countries except the USA',
    channel: 'sms',
    country: 'DE',
    timezone: 'Europe/Berlin',
    rows: parse(SMS_TABLE),
  },
  {
    name: 'SMS, USA (CTIA)',
    channel: 'sms',
    country: 'US',
    timezone: 'America/New_York',
    rows: parse(SMS_US_TABLE),
  },
] as const;

describe.each(tables)('Omnisend table: $name', ({ channel, country, timezone, rows }) => {
  const cells = rules.messageTypes.flatMap((type) =>
    COLUMNS.map((column, i) => ({
      type,
      column,
      listed: rows.has(type),
      reaches: rows.get(type)?.[i] ?? false,
    })),
  );

  it.each(cells)('$type to a $column contact: sent=$reaches', ({ type, column, listed, reaches }) => {
    const who = contact({ country, timezone }, [sub(channel, column)]);
    const d = decideSend(rules, { contact: who, message: msg(channel, type), at: NOON });
    expect(d.verdict).toBe(reaches ? 'send' : 'suppress');
    if (reaches) {
      expect(d.address).toBe(who.subscriptions[0]!.address);
      expect(d.reasons[0]!.rule).toMatch(/^matrix:/);
    } else {
      expect(d.address).toBeUndefined();
      expect(d.reasons).toHaveLength(1);
      expect(d.reasons[0]!.rule).toBe(`matrix:${channel === 'sms' && country === 'US' ? 'sms.us' : channel}`);
      expect(d.reasons[0]!.message).toMatch(listed ? /does not let/ : /has no row/);
    }
  });
});

describe('types the SMS table does not list', () => {
  it.each(['back_in_stock', 'segment_workflow', 'custom_event'] as const)(
    '%s is never sent by SMS, even to subscribers',
    (type) => {
      for (const country of ['DE', 'US']) {
        const d = decideSend(rules, {
          contact: contact({ country }, [sub('sms', 'subscribed')]),
          message: msg('sms', type),
          at: NOON,
        });
        expect(d.verdict).toBe('suppress');
        expect(d.reasons[0]!.message).toContain('has no row for');
      }
    },
  );
});

describe('regions', () => {
  it('a US contact reads the US SMS matrix; a Canadian one the rest-of-world matrix', () => {
    const non = (country: string) =>
      decideSend(rules, {
        contact: contact({ country, timezone: 'America/Toronto' }, [sub('sms', 'non_subscribed')]),
        message: msg('sms', 'order_confirmation'),
        at: NOON,
      });
    expect(non('US').verdict).toBe('suppress');
    expect(non('US').reasons[0]!.rule).toBe('matrix:sms.us');
    expect(non('CA').verdict).toBe('send');
    expect(non('CA').reasons[0]!.rule).toBe('matrix:sms');
  });

  it('a contact without a country gets the strictest (US) tables rather than the lenient ones', () => {
    const d = decideSend(rules, {
      contact: contact({ country: null }, [sub('sms', 'unsubscribed')]),
      message: msg('sms', 'shipping_confirmation'),
      at: NOON,
    });
    expect(d).toMatchObject({ verdict: 'suppress', reasons: [{ rule: 'matrix:sms.us' }] });
  });
});
