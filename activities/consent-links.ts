// What an email carries so its reader can leave: the visible links templates use ({{unsubscribe_url}},
// {{preferences_url}}) and, on marketing messages only, the RFC 8058 one-click headers mailbox providers show
// as their own "Unsubscribe" button. Transactional messages (order, shipping...) get the links for templates
// that want them, but no List-Unsubscribe: a receipt is not a list.
import type { Pool } from '../db/pool';
import { signLink } from '../contracts/consent-link';
import { loadLinkConfig, type LinkConfig } from '../contracts/link-config';
import { DOI_DEFAULT_TTL_MS, DOI_EXPIRES_VAR, DOI_MESSAGE_TYPE } from '../contracts/double-opt-in';
import { decisionScope, type OutboxEntry } from './store';

export interface ConsentLinks {
  /** Template variables; `confirm_url` only in the double opt-in confirmation message. */
  vars: { unsubscribe_url: string; preferences_url: string; confirm_url?: string };
  /** Extra email headers (empty for transactional messages). */
  headers: Record<string, string>;
}

export interface ConsentLinkDependencies {
  pool: Pool;
  rules: { current(): { model: { transactional: ReadonlySet<string> } } };
  /** Default: loadLinkConfig() from the environment, read once. */
  links?: LinkConfig;
}

let fromEnv: LinkConfig | undefined;

type LinkEntry = Pick<
  OutboxEntry,
  'channel' | 'contactId' | 'idempotencyKey' | 'messageType' | 'decisionId'
> &
  Partial<Pick<OutboxEntry, 'templateVars'>>;

/** The links of one outbox row's email; undefined for SMS (opt-out there is the STOP keyword). */
export async function consentLinksFor(
  deps: ConsentLinkDependencies,
  entry: LinkEntry,
): Promise<ConsentLinks | undefined> {
  if (entry.channel !== 'email') return undefined;
  return consentLinksIn(deps, entry, await decisionScope(deps.pool, entry.decisionId));
}

/**
 * The same links when the caller already knows the decision's resource and category (a campaign's delivery
 * group: every row's decision was made for the campaign's message), so a batch signs without a query per row.
 */
export function consentLinksIn(
  deps: Omit<ConsentLinkDependencies, 'pool'>,
  entry: LinkEntry,
  within: { resource?: string; category?: string },
): ConsentLinks | undefined {
  if (entry.channel !== 'email') return undefined;
  const config = deps.links ?? (fromEnv ??= loadLinkConfig());
  const scope = {
    contactId: entry.contactId,
    channel: 'email' as const,
    ...within,
    messageId: entry.idempotencyKey,
  };
  const unsubscribeUrl = `${config.baseUrl}/u/${signLink(config.keys, { purpose: 'unsubscribe', ...scope })}`;
  const preferencesUrl = `${config.baseUrl}/p/${signLink(config.keys, { purpose: 'preferences', ...scope })}`;
  const marketing = !deps.rules.current().model.transactional.has(entry.messageType);
  const headers: Record<string, string> = marketing
    ? {
        'List-Unsubscribe': [
          `<${unsubscribeUrl}>`,
          ...(config.mailto ? [`<mailto:${config.mailto}?subject=unsubscribe>`] : []),
        ].join(', '),
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      }
    : {};
  const confirm =
    entry.messageType === DOI_MESSAGE_TYPE
      ? {
          confirm_url: `${config.baseUrl}/c/${signLink(config.keys, {
            purpose: 'confirm',
            ...scope,
            expiresAt: confirmExpiry(entry.templateVars?.[DOI_EXPIRES_VAR]),
          })}`,
        }
      : {};
  return { vars: { unsubscribe_url: unsubscribeUrl, preferences_url: preferencesUrl, ...confirm }, headers };
}

/** The workflow's wait end, so a link outliving the wait cannot confirm a sign-up nobody waits for. */
function confirmExpiry(value: unknown): number {
  const at = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(at) ? at : Date.now() + DOI_DEFAULT_TTL_MS;
}
