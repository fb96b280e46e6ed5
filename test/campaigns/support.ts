// Campaign test helpers: contacts seeded through the real store in a country of their own (each test segments
// by it, so tests sharing a database do not share an audience), and a campaign client on the harness's queue.
import { createCampaignClient, type CampaignClient, type StartCampaignOptions } from '../../client/campaigns';
import type { Harness } from '../support/automation-harness';
import { seedContact, type SeedSpec } from '../support/contacts';

export function campaignsOf(h: Harness): CampaignClient {
  return createCampaignClient({ client: h.client, taskQueue: h.taskQueue });
}

/** The segment of every contact in `country`. */
export function countrySegment(country: string): unknown {
  return { id: `country-${country.toLowerCase()}`, where: { country } };
}

export async function seedAudience(
  h: Harness,
  prefix: string,
  count: number,
  spec: Partial<SeedSpec> & { country: string },
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push(await seedContact(h.db.pool, { key: `${prefix}${String(i).padStart(3, '0')}`, ...spec }));
  return ids;
}

export function emailCampaign(
  h: Harness,
  name: string,
  country: string,
  o: Partial<StartCampaignOptions> = {},
): StartCampaignOptions {
  return {
    name,
    segment: countrySegment(country),
    segmentName: `country-${country}`,
    message: { channel: 'email', type: 'campaign', template: 'campaign-email' },
    pace: { ratePerSecond: 200, concurrency: 5 },
    pageSize: 7,
    ranges: 2,
    iterationsPerRun: 4,
    ...(h.clockStart ? { clockStart: h.clockStart } : {}),
    ...o,
  };
}

/** Emails the sink received, per recipient address. */
export function receivedPer(h: Harness, prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of h.smtp.messages())
    for (const to of m.to) if (to.startsWith(prefix)) counts.set(to, (counts.get(to) ?? 0) + 1);
  return counts;
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
