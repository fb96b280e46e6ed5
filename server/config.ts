// What the HTTP server needs from its environment. Every provider is optional: a provider whose secret is not
// set has its webhook answer 404 "not enabled", so a half-configured server never accepts unsigned events.
import { loadLinkConfig, type LinkConfig } from '../contracts/link-config';
import type { TwilioSharedKey } from './webhooks/twilio-signature';

export interface ProviderSecrets {
  /** Twilio auth token (X-Twilio-Signature). */
  twilioAuthToken?: string;
  /** Twilio SharedKeys (Webhook Rules signing with HMAC-SHA256 or SHA-1 instead of the auth token). */
  twilioSharedKeys?: TwilioSharedKey[];
  /** Mailgun HTTP webhook signing key. */
  mailgunSigningKey?: string;
  /** SendGrid Event Webhook verification key: base64 DER (SPKI) of the ECDSA P-256 public key, or PEM. */
  sendgridPublicKey?: string;
  /** Postmark does not sign: its webhook URL carries basic auth credentials you choose. */
  postmark?: { user: string; password: string };
}

export interface ServerConfig {
  host: string;
  port: number;
  links: LinkConfig;
  providers: ProviderSecrets;
  /** Requests per minute per client IP on public pages (unsubscribe, preferences). */
  publicRateLimit: number;
  /** SNS topics (SES notifications) accepted on /webhooks/ses; empty: the route is not enabled. */
  snsTopics: string[];
}

const nonEmpty = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);

export function loadServerConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.CONSENTFLOW_HTTP_PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`CONSENTFLOW_HTTP_PORT "${env.CONSENTFLOW_HTTP_PORT}" is not a port number (0-65535).`);
  const limit = Number(env.CONSENTFLOW_PUBLIC_RATE_LIMIT ?? 60);
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(
      'CONSENTFLOW_PUBLIC_RATE_LIMIT must be a whole number of requests per minute, 1 or more.',
    );
  const user = nonEmpty(env.POSTMARK_WEBHOOK_USER);
  const password = nonEmpty(env.POSTMARK_WEBHOOK_PASSWORD);
  const sharedKeys = twilioSharedKeys(env.TWILIO_WEBHOOK_SHARED_KEYS);
  const providers: ProviderSecrets = {
    ...(nonEmpty(env.TWILIO_AUTH_TOKEN) ? { twilioAuthToken: nonEmpty(env.TWILIO_AUTH_TOKEN) } : {}),
    ...(sharedKeys.length ? { twilioSharedKeys: sharedKeys } : {}),
    ...(nonEmpty(env.MAILGUN_WEBHOOK_SIGNING_KEY)
      ? { mailgunSigningKey: nonEmpty(env.MAILGUN_WEBHOOK_SIGNING_KEY) }
      : {}),
    ...(nonEmpty(env.SENDGRID_WEBHOOK_PUBLIC_KEY)
      ? { sendgridPublicKey: nonEmpty(env.SENDGRID_WEBHOOK_PUBLIC_KEY) }
      : {}),
    ...(user && password ? { postmark: { user, password } } : {}),
  };
  return {
    host: env.CONSENTFLOW_HTTP_HOST || '127.0.0.1',
    port,
    // Without CONSENTFLOW_PUBLIC_URL, links point at this server as it listens (development).
    links: loadLinkConfig({
      ...env,
      CONSENTFLOW_PUBLIC_URL:
        env.CONSENTFLOW_PUBLIC_URL || `http://${env.CONSENTFLOW_HTTP_HOST || '127.0.0.1'}:${port}`,
    }),
    providers,
    publicRateLimit: limit,
    snsTopics: (env.SES_SNS_TOPIC_ARNS ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  };
}

/**
 * TWILIO_WEBHOOK_SHARED_KEYS: comma-separated `<KeySid>:<secret>` (or a bare secret, tried for any key). Two
 * entries during a key rotation; the request's settings header names the key it was signed with.
 */
function twilioSharedKeys(raw: string | undefined): TwilioSharedKey[] {
  return (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^(KS[0-9A-Za-z]+):(.+)$/.exec(entry);
      return m ? { sid: m[1]!, secret: m[2]!.trim() } : { secret: entry };
    });
}
