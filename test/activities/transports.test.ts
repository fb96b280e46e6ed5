// The transports against the real local sinks: what is permanent, what is retryable, and that the idempotency
// key reaches the provider so a resend is recognised.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeliveryError,
  createHttpSmsTransport,
  createSmtpTransport,
  messageIdFor,
  startSmsSink,
  startSmtpSink,
  type SmsSink,
  type SmtpSink,
} from '../../activities/transports';
import { rejectionOf } from './activity-run';

const failureOf = (p: Promise<unknown>): Promise<DeliveryError> =>
  rejectionOf(p, DeliveryError, 'expected the send to fail');

describe('SMTP transport', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink({
      rejectRecipients: (r) => r.startsWith('gone@'),
      deferRecipients: (r) => r.startsWith('busy@'),
    });
  });
  afterAll(() => sink.close());

  it('delivers subject and text intact (non-ASCII too) with the key as Message-ID', async () => {
    const email = createSmtpTransport({ url: sink.url, from: 'Shop <hello@shop.example>' });
    const text = `Grüße, Zoë ☕ — ${'a long line with = signs '.repeat(8)}\nsecond line`;
    const receipt = await email.sendEmail({
      to: 'ada@example.com',
      subject: 'Café für Zoë ☕, a subject long enough to be folded over several header lines by the encoder',
      text,
      idempotencyKey: 'welcome:c-1:step 1',
    });
    const [got] = await sink.waitFor(1);
    expect(got).toMatchObject({
      from: 'hello@shop.example',
      to: ['ada@example.com'],
      subject: 'Café für Zoë ☕, a subject long enough to be folded over several header lines by the encoder',
      text,
      messageId: '<welcome=3Ac-1=3Astep=201@shop.example>',
      idempotencyKey: 'welcome:c-1:step 1',
    });
    expect(receipt.providerId).toBe(got?.queueId);
    await email.close?.();
  });

  it('a resend with the same key is stored once and answers with the first queue id', async () => {
    sink.clear();
    const email = createSmtpTransport({ url: sink.url, from: 'hello@shop.example' });
    const msg = {
      to: 'ada@example.com',
      subject: 's',
      text: 't',
      idempotencyKey: 'order:o-9:confirmation-0',
    };
    const first = await email.sendEmail(msg);
    const second = await email.sendEmail(msg);
    expect(sink.messages()).toHaveLength(1);
    expect(sink.duplicates()).toBe(1);
    expect(second.providerId).toBe(first.providerId);
  });

  it('550 to RCPT TO is permanent and a hard bounce; 451 is retryable', async () => {
    const email = createSmtpTransport({ url: sink.url, from: 'hello@shop.example' });
    const gone = await failureOf(
      email.sendEmail({ to: 'gone@example.com', subject: 's', text: 't', idempotencyKey: 'k1' }),
    );
    expect(gone.permanent).toBe(true);
    expect(gone.details).toEqual({ providerCode: 550, feedback: 'hard_bounce' });
    const busy = await failureOf(
      email.sendEmail({ to: 'busy@example.com', subject: 's', text: 't', idempotencyKey: 'k2' }),
    );
    expect(busy.permanent).toBe(false);
    expect(busy.details.providerCode).toBe(451);
  });

  it('a server that is not there is retryable', async () => {
    const closed = await startSmtpSink();
    await closed.close();
    const email = createSmtpTransport({ url: closed.url, from: 'hello@shop.example', timeoutMs: 2_000 });
    const err = await failureOf(
      email.sendEmail({ to: 'a@example.com', subject: 's', text: 't', idempotencyKey: 'k' }),
    );
    expect(err.permanent).toBe(false);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('Message-IDs are valid msg-ids and differ per key', () => {
    const a = messageIdFor('wf:step', 'x.example');
    const b = messageIdFor('wf:step2', 'x.example');
    expect(a).toMatch(/^<[A-Za-z0-9!#$&'*+/=?^_`{|}~-]+@x\.example>$/);
    expect(a).not.toBe(b);
    expect(messageIdFor('wf:step', 'x.example')).toBe(a);
  });

  it('rejects a URL that is not smtp:// with a clear error', () => {
    expect(() => createSmtpTransport({ url: 'http://127.0.0.1:25', from: 'a@b.c' })).toThrow(
      /smtp:\/\/ or smtps:\/\//,
    );
  });
});

describe('SMS transport (Twilio request shape)', () => {
  let sink: SmsSink;
  beforeAll(async () => {
    sink = await startSmsSink({
      rejectRecipients: (to) => to === '+15005550001',
      unavailableFor: (to) => to === '+15005550002',
    });
  });
  afterAll(() => sink.close());
  const sms = () =>
    createHttpSmsTransport({
      baseUrl: sink.url,
      accountSid: 'ACtest',
      authToken: 'secret',
      from: '+15005550006',
    });

  it('posts To/From/Body with basic auth and gets a sid; the same token twice is one message', async () => {
    const first = await sms().sendSms({
      to: '+14155550123',
      body: 'Hi Zoë ☕',
      idempotencyKey: 'cart:c1:sms-0',
    });
    const again = await sms().sendSms({
      to: '+14155550123',
      body: 'Hi Zoë ☕',
      idempotencyKey: 'cart:c1:sms-0',
    });
    expect(first.providerId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(again.providerId).toBe(first.providerId);
    expect(sink.messages()).toEqual([
      expect.objectContaining({
        to: '+14155550123',
        from: '+15005550006',
        body: 'Hi Zoë ☕',
        accountSid: 'ACtest',
        idempotencyKey: 'cart:c1:sms-0',
      }),
    ]);
    expect(sink.duplicates()).toBe(1);
  });

  it('4xx is permanent (21211 is a hard bounce), 5xx and unreachable are retryable', async () => {
    const invalid = await failureOf(sms().sendSms({ to: '+15005550001', body: 'x', idempotencyKey: 'a' }));
    expect(invalid).toMatchObject({
      permanent: true,
      details: { providerCode: 21211, feedback: 'hard_bounce' },
    });
    const outage = await failureOf(sms().sendSms({ to: '+15005550002', body: 'x', idempotencyKey: 'b' }));
    expect(outage.permanent).toBe(false);
    const wrongAccount = createHttpSmsTransport({
      baseUrl: sink.url,
      accountSid: 'ACtest',
      authToken: 'x',
      from: '',
    });
    const missingFrom = await failureOf(
      wrongAccount.sendSms({ to: '+14155550123', body: 'x', idempotencyKey: 'c' }),
    );
    expect(missingFrom).toMatchObject({ permanent: true, details: { providerCode: 21604 } });
    expect(missingFrom.details.feedback).toBeUndefined();

    const closed = await startSmsSink();
    await closed.close();
    const down = createHttpSmsTransport({
      baseUrl: closed.url,
      accountSid: 'A',
      authToken: 'x',
      from: '+1',
      timeoutMs: 2_000,
    });
    const unreachable = await failureOf(down.sendSms({ to: '+14155550123', body: 'x', idempotencyKey: 'd' }));
    expect(unreachable.permanent).toBe(false);
    expect(unreachable.message).toMatch(/ECONNREFUSED/);
  });
});
