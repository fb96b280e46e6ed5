// What the worker makes of its environment and its numbers, without starting one.
import { describe, expect, it } from 'vitest';
import { DeliveryError, TRANSPORT_TOTAL_TIMEOUT_MS } from '../../activities/transports';
import { missingTransportWarnings, transportsFromEnv } from '../../worker/runtime';
import { temporalWaitMsFromEnv } from '../../worker/connect-temporal';
import {
  DELIVER_START_TO_CLOSE_MS,
  MAX_CONCURRENT_ACTIVITIES,
  MAX_CONCURRENT_LOCAL_ACTIVITIES,
  POOL_MAX,
} from '../../worker/limits';

describe('worker configuration', () => {
  it('a missing transport fails every send as a configuration error (retried), naming the variable', async () => {
    const t = transportsFromEnv({});
    const email = await t.email
      .sendEmail({ to: 'a@example.com', subject: 's', text: 't', idempotencyKey: 'k' })
      .catch((e: unknown) => e);
    expect(email).toBeInstanceOf(DeliveryError);
    expect(email).toMatchObject({ kind: 'configuration', permanent: false });
    expect((email as Error).message).toMatch(/SMTP_URL is not set.*retried/);
    const sms = await t.sms.sendSms({ to: '+1', body: 'b', idempotencyKey: 'k' }).catch((e: unknown) => e);
    expect(sms).toMatchObject({ kind: 'configuration' });
    expect((sms as Error).message).toMatch(/SMS_API_URL/);
  });

  it('one warning per missing transport, none when both are set', () => {
    expect(missingTransportWarnings({})).toHaveLength(2);
    expect(missingTransportWarnings({ SMTP_URL: 'smtp://h:25' })).toEqual([
      expect.stringMatching(/^warning: SMS_API_URL is not set/),
    ]);
    expect(missingTransportWarnings({ SMTP_URL: 'smtp://h:25', SMS_API_URL: 'http://h' })).toEqual([]);
  });

  it('the pool covers every activity slot, and deliver outlives its transport call', () => {
    expect(POOL_MAX).toBeGreaterThan(MAX_CONCURRENT_ACTIVITIES + MAX_CONCURRENT_LOCAL_ACTIVITIES);
    expect(DELIVER_START_TO_CLOSE_MS).toBeGreaterThan(TRANSPORT_TOTAL_TIMEOUT_MS);
  });

  it('CONSENTFLOW_TEMPORAL_WAIT_SECONDS: seconds, 0 for one try, a clear error otherwise', () => {
    expect(temporalWaitMsFromEnv({})).toBe(60_000);
    expect(temporalWaitMsFromEnv({ CONSENTFLOW_TEMPORAL_WAIT_SECONDS: '0' })).toBe(0);
    expect(temporalWaitMsFromEnv({ CONSENTFLOW_TEMPORAL_WAIT_SECONDS: '2.5' })).toBe(2_500);
    expect(() => temporalWaitMsFromEnv({ CONSENTFLOW_TEMPORAL_WAIT_SECONDS: 'soon' })).toThrow(
      /not a number of seconds/,
    );
  });
});
