// The chaos sinks against the project's real transports: every fault mode as the sender experiences it, and
// what the sink keeps (every accepted copy, keyed by the idempotency key the transport sent).
import { afterEach, describe, expect, it } from 'vitest';
import { createSmtpTransport } from '../../activities/transports/email';
import { createHttpSmsTransport } from '../../activities/transports/sms';
import { DeliveryError } from '../../activities/transports/types';
import { startChaosSinks, type ChaosSinks } from '../../chaos/sinks';
import type { SinkFault } from '../../chaos/sink-faults';

let sinks: ChaosSinks | undefined;
afterEach(async () => {
  await sinks?.close();
  sinks = undefined;
});

async function setup(faults: (SinkFault | undefined)[]) {
  const queue = [...faults];
  sinks = await startChaosSinks({ pickFault: () => queue.shift(), hangMs: 4_000 });
  const email = createSmtpTransport({ url: sinks.smtpUrl, from: 'Shop <hello@shop.test>', timeoutMs: 2_000 });
  const sms = createHttpSmsTransport({
    baseUrl: sinks.smsUrl,
    accountSid: 'ACtest',
    authToken: 't',
    from: '+15005550006',
    timeoutMs: 2_000,
  });
  return { sinks, email, sms };
}

const mail = (key: string) => ({ to: 'a@shop.test', subject: 'Hi', text: 'Hello', idempotencyKey: key });
const text = (key: string) => ({ to: '+447700900123', body: 'Hello', idempotencyKey: key });

describe('chaos SMTP sink', () => {
  it('keeps every copy of a key (no deduplication) and decodes the key from the Message-ID', async () => {
    const { sinks, email } = await setup([]);
    const key = 'welcome-chaos-1-7:welcome-1-email/é=x';
    await email.sendEmail(mail(key));
    await email.sendEmail(mail(key));
    const copies = sinks.copies();
    expect(copies).toHaveLength(2);
    expect(copies.map((c) => c.key)).toEqual([key, key]);
    expect(copies[0]?.headerKey).toBe(key);
    expect(copies.every((c) => !c.droppedAfterAccept)).toBe(true);
    await email.close?.();
  });

  it('refuses with a retryable error and keeps nothing for reject-4xx and reject-5xx', async () => {
    const { sinks, email } = await setup(['reject-4xx', 'reject-5xx']);
    for (let i = 0; i < 2; i++) {
      const err = await email.sendEmail(mail(`k:${i}`)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeliveryError);
      expect((err as DeliveryError).permanent).toBe(false);
    }
    expect(sinks.copies()).toEqual([]);
    expect(sinks.faults().email).toMatchObject({ 'reject-4xx': 1, 'reject-5xx': 1 });
    await email.close?.();
  });

  it('drop-after-accept keeps the copy, marks it, and the sender sees a failure', async () => {
    const { sinks, email } = await setup(['drop-after-accept']);
    await expect(email.sendEmail(mail('k:1'))).rejects.toBeInstanceOf(DeliveryError);
    expect(sinks.copies()).toEqual([expect.objectContaining({ key: 'k:1', droppedAfterAccept: true })]);
    await email.close?.();
  });

  it('hang answers nothing within the transport timeout and keeps nothing', async () => {
    const { sinks, email } = await setup(['hang']);
    const started = Date.now();
    await expect(email.sendEmail(mail('k:1'))).rejects.toBeInstanceOf(DeliveryError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(sinks.copies()).toEqual([]);
    await email.close?.();
  });
});

describe('chaos SMS sink', () => {
  it('keeps every copy keyed by the idempotency header', async () => {
    const { sinks, sms } = await setup([]);
    await sms.sendSms(text('order-1:confirmation-sms'));
    await sms.sendSms(text('order-1:confirmation-sms'));
    expect(sinks.copies().map((c) => [c.channel, c.key])).toEqual([
      ['sms', 'order-1:confirmation-sms'],
      ['sms', 'order-1:confirmation-sms'],
    ]);
  });

  it('answers 429 and 5xx as retryable, hangs past the timeout, and drops after accepting', async () => {
    const { sinks, sms } = await setup(['reject-4xx', 'reject-5xx', 'hang', 'drop-after-accept']);
    for (const key of ['a:1', 'a:2', 'a:3', 'a:4']) {
      const err = await sms.sendSms(text(key)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeliveryError);
      expect((err as DeliveryError).permanent).toBe(false);
    }
    expect(sinks.copies()).toEqual([expect.objectContaining({ key: 'a:4', droppedAfterAccept: true })]);
    expect(sinks.faults().sms).toEqual({ 'reject-4xx': 1, 'reject-5xx': 1, hang: 1, 'drop-after-accept': 1 });
  });
});
