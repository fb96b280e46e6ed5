// Amazon SNS message signatures, as AWS documents them: the signing certificate comes from an SNS host over
// HTTPS (never from an address the message could point anywhere else), the string to sign is the message's
// fields in a fixed order, and SignatureVersion 1 is RSA-SHA1, 2 is RSA-SHA256. The certificate fetcher is
// a dependency, so tests serve a certificate they generated.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

export interface SnsMessage {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  Token?: string;
  SubscribeURL?: string;
}

export interface SnsDependencies {
  /** Topics whose messages are accepted (SES_SNS_TOPIC_ARNS); any other topic is refused. */
  topics: readonly string[];
  /** Fetches the PEM certificate at an https URL on an SNS host; default: fetch with a 5 s timeout. */
  fetchCertificate?: (url: string) => Promise<string>;
  /** Visits a SubscribeURL to confirm a subscription; default: fetch GET with a 5 s timeout. */
  confirmSubscription?: (url: string) => Promise<void>;
}

const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** Whether a URL is https on an SNS host (optionally with a required path suffix). */
export function isSnsUrl(raw: string | undefined, suffix = ''): boolean {
  if (!raw) return false;
  try {
    const url = new URL(raw);
    return (
      url.protocol === 'https:' && SNS_HOST.test(url.hostname) && !url.port && url.pathname.endsWith(suffix)
    );
  } catch {
    return false;
  }
}

const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const SUBSCRIPTION_FIELDS = [
  'Message',
  'MessageId',
  'SubscribeURL',
  'Timestamp',
  'Token',
  'TopicArn',
  'Type',
] as const;

export function snsStringToSign(m: SnsMessage): string {
  const fields = m.Type === 'Notification' ? NOTIFICATION_FIELDS : SUBSCRIPTION_FIELDS;
  return fields
    .filter((f) => m[f] !== undefined)
    .map((f) => `${f}\n${m[f]}\n`)
    .join('');
}

async function defaultFetchCertificate(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000), redirect: 'error' });
  if (!response.ok) throw new Error(`certificate fetch answered ${response.status}`);
  const text = await response.text();
  if (text.length > 16_384) throw new Error('certificate too large');
  return text;
}

export async function defaultConfirmSubscription(url: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000), redirect: 'error' });
  if (!response.ok) throw new Error(`subscription confirmation answered ${response.status}`);
}

/** Certificates by URL: SNS signs with few certificates, and fetching one per message would be slow. */
const certificates = new Map<string, KeyObject>();

/** Null when verified; otherwise why not (for the 401's message, never the expected value). */
export async function snsSignatureProblem(m: SnsMessage, deps: SnsDependencies): Promise<string | null> {
  if (m.SignatureVersion !== '1' && m.SignatureVersion !== '2')
    return `SignatureVersion ${JSON.stringify(m.SignatureVersion).slice(0, 10)} is not 1 or 2`;
  if (!isSnsUrl(m.SigningCertURL, '.pem')) return 'SigningCertURL is not an https .pem URL on an SNS host';
  let key = certificates.get(m.SigningCertURL);
  if (!key) {
    try {
      key = createPublicKey(await (deps.fetchCertificate ?? defaultFetchCertificate)(m.SigningCertURL));
    } catch {
      return 'the signing certificate could not be fetched or read';
    }
    certificates.set(m.SigningCertURL, key);
  }
  const algorithm = m.SignatureVersion === '1' ? 'sha1' : 'sha256';
  const ok = verify(
    algorithm,
    Buffer.from(snsStringToSign(m), 'utf8'),
    key,
    Buffer.from(m.Signature, 'base64'),
  );
  return ok ? null : 'the signature does not match';
}
