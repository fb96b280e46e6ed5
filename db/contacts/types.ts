// The write-side vocabulary of the contact store. Field names are the import column names, so a CSV header,
// a JSON line and an API call describe a contact the same way (see docs/consent-model.md).
import type {
  CategoryState,
  Channel,
  GlobalStatus,
  ImpliedConsentBasis,
  SubscriptionStatus,
} from '../../rules/model';

export const ORIGINS = ['import', 'form', 'api', 'feedback', 'admin'] as const;
export type Origin = (typeof ORIGINS)[number];

/** Who or what made a change, recorded with every ledger row. */
export interface ConsentContext {
  origin: Origin;
  /** Free-form, non-secret details: file and line, form id, IP, operator, provider message id... */
  source?: Record<string, unknown>;
  /** When the change happened, if earlier than now (e.g. a bounce reported later). */
  at?: string | Date;
}

export interface SubscriptionInput {
  resource?: string;
  channel: Channel;
  /** Defaults to the contact's email (email channel) or phone (sms channel). */
  address?: string;
  /** Omitted: new subscriptions get the origin's default (subscribed; unconfirmed for forms), existing keep theirs. */
  status?: SubscriptionStatus;
  priority?: number;
  categories?: Record<string, CategoryState>;
  custom?: Record<string, unknown>;
}

/**
 * A contact as written by import, API or form. Omitted or empty fields leave what is stored unchanged.
 * `email_status` / `sms_status` are shorthands for a subscription of the contact's email / phone to
 * `resource` (default "default") on that channel.
 */
export interface ContactInput {
  id?: string;
  email?: string | null;
  phone?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  gender?: string | number | null;
  language?: string | null;
  country?: string | null;
  /** ISO 3166-2 state or province, e.g. US-FL; it must belong to the country. */
  subdivision?: string | null;
  timezone?: string | null;
  birthday?: string | null;
  source?: string | null;
  /**
   * CASL implied consent: "purchase" or "inquiry", with `implied_consent_at`, the date it happened (YYYY-MM-DD).
   * Give both or neither; a pair replaces the stored one.
   */
  implied_consent_basis?: string | null;
  implied_consent_at?: string | null;
  /** A GlobalStatus; text from files is checked. */
  status?: string | null;
  active?: boolean | string | null;
  custom?: Record<string, unknown>;
  resource?: string | null;
  /** A SubscriptionStatus. */
  email_status?: string | null;
  sms_status?: string | null;
  priority?: number | string | null;
  /** `{"news": "subscribed"}`, or in files "news;promo:unsubscribed" (a bare name means subscribed). */
  categories?: Record<string, CategoryState> | string | null;
  subscriptions?: SubscriptionInput[];
}

/** A validated, normalized contact ready for the batch writer. */
export interface StagedContact {
  n: number;
  line: number | null;
  id: string | null;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  gender: number | null;
  language: string | null;
  country: string | null;
  subdivision: string | null;
  timezone: string | null;
  birthday: string | null;
  source: string | null;
  implied_consent_basis: ImpliedConsentBasis | null;
  implied_consent_at: string | null;
  status: GlobalStatus | null;
  active: boolean | null;
  custom: Record<string, unknown> | null;
  subs: StagedSubscription[];
}

export interface StagedSubscription {
  channel: Channel;
  resource: string;
  address: string | null;
  status: SubscriptionStatus | null;
  priority: number | null;
  categories: Record<string, CategoryState> | null;
  custom: Record<string, unknown> | null;
}

export interface RowRejection {
  line: number | null;
  field: string;
  reason: string;
}

export const DEFAULT_RESOURCE = 'default';
