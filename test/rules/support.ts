// Builders for the rules tests: profiles that read like the sentences in the reference documents.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  Channel,
  ContactProfile,
  MessageType,
  Subscription,
  SubscriptionStatus,
} from '../../rules/model';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RULES_DIR = path.join(REPO, 'rules');

export function sub(
  channel: Channel,
  status: SubscriptionStatus,
  extra: Partial<Subscription> = {},
): Subscription {
  return {
    resource: 'shop',
    channel,
    address: channel === 'email' ? 'ann@example.com' : '+15550001111',
    status,
    priority: 1,
    ...extra,
  };
}

export function contact(extra: Partial<ContactProfile> = {}, subs: Subscription[] = []): ContactProfile {
  return {
    status: 'subscribed',
    country: 'DE',
    timezone: 'Europe/Berlin',
    subscriptions: subs,
    ...extra,
  };
}

export const msg = (
  channel: Channel,
  type: MessageType,
  extra: { resource?: string; category?: string } = {},
) => ({
  channel,
  type,
  ...extra,
});

/** Noon in Berlin and in New York: inside every quiet-hours window. */
export const NOON = new Date('2026-06-15T16:00:00Z');

/** A scratch copy of the default rules that a test may break. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests reach deep into rule files they break on purpose
type Json = any;

export function copyRules(): {
  dir: string;
  edit(file: string, fn: (json: Json) => void): void;
  /** Removes one file of the copy, or the whole copy. */
  remove(file?: string): void;
} {
  const dir = mkdtempSync(path.join(tmpdir(), 'cf-rules-'));
  cpSync(RULES_DIR, dir, { recursive: true, filter: (src) => !src.endsWith('.ts') });
  return {
    dir,
    edit(file, fn) {
      const p = path.join(dir, file);
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- untyped JSON on purpose (see Json)
      const json = JSON.parse(readFileSync(p, 'utf8'));
      fn(json);
      writeFileSync(p, `${JSON.stringify(json, null, 2)}\n`);
    },
    remove: (file?: string) =>
      rmSync(file === undefined ? dir : path.join(dir, file), { recursive: true, force: true }),
  };
}
