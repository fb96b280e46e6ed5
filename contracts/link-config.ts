// Where consent links point and what signs them, read once by the worker (to write links) and by the server
// (to check them): both must agree, so both read the same variables, or, in development, the same key file.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface LinkConfig {
  /** The server's public origin and path prefix, no trailing slash, e.g. https://mail.shop.example. */
  baseUrl: string;
  /** Signing keys, first signs, all verify (rotation: put the new key first, drop the old one later). */
  keys: string[];
  /** Optional mailto address for List-Unsubscribe (some mailbox providers offer only mailto). */
  mailto?: string;
}

export const DEFAULT_PUBLIC_URL = 'http://127.0.0.1:8787';
const MIN_KEY_CHARS = 32;

export class LinkConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkConfigError';
  }
}

/**
 * CONSENTFLOW_LINK_SECRET (comma-separated keys, each 32+ characters), or for development a key generated once
 * into `<home>/.consentflow/link-secret` (home: CONSENTFLOW_HOME or the working directory) and reused after.
 */
export function loadLinkConfig(env: NodeJS.ProcessEnv = process.env, home?: string): LinkConfig {
  const baseUrl = parseBaseUrl(env.CONSENTFLOW_PUBLIC_URL || DEFAULT_PUBLIC_URL);
  const listed = (env.CONSENTFLOW_LINK_SECRET ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const short = listed.findIndex((k) => k.length < MIN_KEY_CHARS);
  if (short >= 0)
    throw new LinkConfigError(
      `CONSENTFLOW_LINK_SECRET key ${short + 1} is shorter than ${MIN_KEY_CHARS} characters; generate one with ` +
        '`openssl rand -hex 32` (several keys: comma-separated, the first signs).',
    );
  const keys = listed.length ? listed : [devKey(home ?? env.CONSENTFLOW_HOME ?? process.cwd())];
  const mailto = env.CONSENTFLOW_UNSUBSCRIBE_MAILTO?.trim();
  return { baseUrl, keys, ...(mailto ? { mailto } : {}) };
}

function parseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LinkConfigError(
      `CONSENTFLOW_PUBLIC_URL "${raw.slice(0, 60)}" is not a URL; give e.g. https://mail.shop.example.`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new LinkConfigError(`CONSENTFLOW_PUBLIC_URL must start with https:// (or http:// in development).`);
  return url.toString().replace(/\/+$/, '');
}

/**
 * A development key generated once into `<home>/.consentflow/<name>` (owner-only) and reused after, so
 * processes started from the same directory agree without configuration. Production sets the key instead.
 */
export function devKey(home: string, name = 'link-secret'): string {
  const file = path.join(home, '.consentflow', name);
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= MIN_KEY_CHARS) return existing;
  } catch {
    // not there yet: generated below
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const key = randomBytes(32).toString('hex');
  try {
    // wx: two processes starting together keep the first one's key.
    fs.writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch {
    return fs.readFileSync(file, 'utf8').trim();
  }
}
