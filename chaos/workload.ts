// The seeded workload: a new journey every `journeyEveryMs` (one fresh contact each), covering every automation
// kind with its signals, plus consent withdrawals (email unsubscribe, SMS STOP) of contacts with journeys in flight.
import { WorkflowNotFoundError } from '@temporalio/client';
import { DateTime } from 'luxon';
import type { AutomationClient } from '../client/automations';
import { applyFeedback } from '../db/contacts/feedback';
import { upsertContact } from '../db/contacts/store';
import type { Pool } from '../db/pool';
import type { Withdrawal } from './checks';
import type { Rng } from './rng';

export const JOURNEYS = ['welcome', 'welcome-doi', 'cart', 'cart-checkout-order', 'order', 'event'] as const;
export type Journey = (typeof JOURNEYS)[number];

export interface WorkloadStats {
  journeys: Record<Journey, number>;
  workflowsStarted: Set<string>;
  signals: number;
  /** Signals that found their workflow already ended (expected when a journey's timing races its end). */
  signalsAfterEnd: number;
  /** Client calls that still failed after their retries (e.g. during a long server restart). */
  clientErrors: number;
  withdrawals: Withdrawal[];
  withdrawalErrors: number;
}

interface ChaosContact {
  id: string;
  email: string;
  phone: string;
}

export interface WorkloadOptions {
  pool: Pool;
  automations: AutomationClient;
  rng: Rng;
  seed: number;
  /** Virtual day length in ms (the automation client's time scale times 86 400 000). */
  dayMs: number;
  log: (line: string) => void;
}

/** Decisions are asked as of 13:00 UTC today: an afternoon in London, outside quiet hours whenever the run is. */
export function afternoonClock(): string {
  return DateTime.utc().startOf('day').plus({ hours: 13 }).toISO();
}

export function createWorkload(opts: WorkloadOptions) {
  const { rng, automations: a } = opts;
  const stats: WorkloadStats = {
    journeys: Object.fromEntries(JOURNEYS.map((j) => [j, 0])) as Record<Journey, number>,
    workflowsStarted: new Set(),
    signals: 0,
    signalsAfterEnd: 0,
    clientErrors: 0,
    withdrawals: [],
    withdrawalErrors: 0,
  };
  const inFlight = new Set<Promise<void>>();
  const recent: ChaosContact[] = [];
  let n = 0;
  let stopped = false;

  /** Retries a client call across server restarts (bounded); a missing workflow is not an error. */
  const call = async (what: () => Promise<unknown>, isSignal = false): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await what();
        if (typeof out === 'string') stats.workflowsStarted.add(out);
        else if (Array.isArray(out)) for (const id of out) stats.workflowsStarted.add(String(id));
        if (isSignal) stats.signals++;
        return;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) {
          stats.signalsAfterEnd++;
          return;
        }
        // A restarted dev server answers "namespace not found" for a few seconds: retry for up to a minute.
        if (attempt >= 30) {
          stats.clientErrors++;
          opts.log(`client call failed after ${attempt} attempts: ${(err as Error).message}`);
          return;
        }
        await pause(2_000);
      }
    }
  };
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const days = (d: number) => Math.round(d * opts.dayMs);

  const newContact = async (): Promise<ChaosContact> => {
    const i = ++n;
    const id = `chaos-${opts.seed}-${i}`;
    const email = `c${opts.seed}-${i}@chaos.example`;
    const phone = `+4477009${String(i % 100_000).padStart(5, '0')}`;
    // Most contacts may receive everything; some are unsubscribed or never subscribed on a channel, so the run
    // also has decisions that must suppress.
    const emailStatus = rng.pick(['subscribed', 'subscribed', 'subscribed', 'subscribed', 'unsubscribed']);
    const smsStatus = rng.pick(['subscribed', 'subscribed', 'subscribed', 'non_subscribed']);
    for (let attempt = 1; ; attempt++) {
      try {
        await upsertContact(
          opts.pool,
          {
            id,
            email,
            phone,
            first_name: `Chaos${i}`,
            country: 'GB',
            timezone: 'Europe/London',
            status: 'subscribed',
            email_status: emailStatus,
            sms_status: smsStatus,
          },
          'import',
        );
        break;
      } catch (err) {
        if (attempt >= 5) throw err;
        await pause(500);
      }
    }
    const contact = { id, email, phone };
    recent.push(contact);
    if (recent.length > 40) recent.shift();
    return contact;
  };

  const journey = async (kind: Journey): Promise<void> => {
    stats.journeys[kind]++;
    const c = await newContact();
    const tag = `${opts.seed}-${n}`;
    switch (kind) {
      case 'welcome':
        await call(() => a.signUp(c.id));
        return;
      case 'welcome-doi':
        await call(() => a.signUp(c.id, { doubleOptIn: true }));
        if (rng.chance(0.8)) {
          await pause(rng.int(0, days(3)));
          await call(() => a.signUpConfirmed(c.id), true);
        }
        return;
      case 'cart':
      case 'cart-checkout-order': {
        const cart = `cart${tag}`;
        await call(() => a.cartUpdated(cart, c.id, { itemCount: rng.int(1, 4) }));
        for (let i = rng.int(0, 2); i > 0; i--) {
          await pause(rng.int(0, days(0.5)));
          await call(() => a.cartUpdated(cart, c.id, { itemCount: rng.int(1, 6) }), true);
        }
        if (kind === 'cart') return;
        await pause(rng.int(0, days(0.3)));
        await call(() => a.checkoutStarted(cart, c.id), true);
        if (rng.chance(0.6)) {
          await pause(rng.int(0, days(0.5)));
          await call(() => a.orderPlaced(`ord${tag}`, c.id, { cartId: cart }));
          await orderSignals(`ord${tag}`);
        }
        return;
      }
      case 'order':
        await call(() => a.orderPlaced(`ord${tag}`, c.id));
        await orderSignals(`ord${tag}`);
        return;
      case 'event': {
        await call(() =>
          a.sendEvent({
            contactId: c.id,
            name: 'trial_started',
            properties: { plan: rng.pick(['pro', 'team']) },
          }),
        );
        if (rng.chance(0.6)) {
          await pause(rng.int(0, days(2)));
          await call(
            () =>
              a.sendEvent({ contactId: c.id, name: 'project_created', properties: { template: 'kanban' } }),
            true,
          );
        }
        return;
      }
    }
  };

  const orderSignals = async (orderId: string): Promise<void> => {
    await pause(rng.int(0, days(1)));
    if (rng.chance(0.2)) {
      await call(() => a.orderCancelled(orderId, 'chaos'), true);
      return;
    }
    await call(() => a.orderShipped(orderId, `ship-${orderId}`), true);
    await pause(rng.int(0, days(2)));
    await call(() => a.orderDelivered(orderId), true);
  };

  return {
    stats,
    /** Starts one journey of a random kind; it runs on in the background until `drain`. */
    startJourney(): void {
      if (stopped) return;
      const p = journey(rng.pick(JOURNEYS)).catch((err: Error) => {
        stats.clientErrors++;
        opts.log(`journey failed: ${err.message}`);
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    },
    /** Withdraws consent of a contact with a journey in flight, on one channel, and records when it committed. */
    async withdraw(): Promise<void> {
      if (stopped || recent.length === 0) return;
      const c = rng.pick(recent);
      const channel = rng.pick(['email', 'sms'] as const);
      try {
        if (channel === 'email') {
          await applyFeedback(opts.pool, { kind: 'unsubscribe', channel, address: c.email, source: 'chaos' });
        } else {
          await applyFeedback(opts.pool, { kind: 'inbound_sms', channel, address: c.phone, text: 'STOP' });
        }
        stats.withdrawals.push({ contactId: c.id, channel, committedAt: Date.now() });
      } catch (err) {
        stats.withdrawalErrors++;
        opts.log(`withdrawal failed: ${(err as Error).message}`);
      }
    },
    /** Stops starting journeys and waits (bounded) for the ones in flight to send their last signals. */
    async drain(timeoutMs: number): Promise<void> {
      stopped = true;
      await Promise.race([Promise.all([...inFlight]), pause(timeoutMs)]);
    },
  };
}

export type Workload = ReturnType<typeof createWorkload>;
