// The contact store's public surface (client/contacts.ts re-exports it for apps).
export * from './types';
export * from './errors';
export {
  upsertContact,
  subscribe,
  unsubscribe,
  setStatus,
  setActive,
  setCategory,
  removeSubscription,
  type UnsubscribeScope,
} from './store';
export {
  signUp,
  confirmSubscription,
  confirmByLink,
  doubleOptInConfirmed,
  DEFAULT_TOKEN_TTL_MS,
  type SignUpOptions,
  type SignUpResult,
} from './doi';
export {
  addToBlacklist,
  removeFromBlacklist,
  isBlacklisted,
  listBlacklist,
  blacklistName,
  type BlacklistChange,
  type BlacklistEntry,
} from './blacklist';
export { eraseContact, type EraseResult } from './erase';
export { addNote, listNotes, deleteNote, MAX_NOTES, MAX_NOTE_LENGTH, type Note } from './notes';
export {
  applyFeedback,
  parseFeedbackEvent,
  FEEDBACK_KINDS,
  CLOCK_SKEW_MS,
  type FeedbackEvent,
  type FeedbackKind,
  type FeedbackOptions,
  type FeedbackResult,
} from './feedback';
export { applyFeedbackLines, MAX_FEEDBACK_LINE_CHARS, type FeedbackLineResult } from './feedback-lines';
export {
  loadSmsKeywords,
  matchSmsKeyword,
  SmsKeywordsError,
  type SmsKeywords,
} from '../../rules/feedback/sms-keywords';
export { loadProfiles, showContact, type ContactDetails } from './profile';
export { loadTemplateFields } from './template-fields';
export { activityFeed, type FeedFilter, type LedgerRow, type LedgerKind } from './ledger';
export {
  defineCustomField,
  loadCustomFields,
  CUSTOM_FIELD_KINDS,
  type CustomFieldDefinition,
  type CustomFieldKind,
} from './custom-fields';
export { resolveContactKey } from './tx';
export { LIMIT_PER_PROFILE, LIMIT_PER_RESOURCE_CHANNEL } from './limits';
export { importContacts, type ImportOptions, type ImportSummary, type ImportProgress } from './import/run';
export { ImportInputError, STANDARD_COLUMNS } from './import/source';
export { normalizeEmail, normalizePhone, parseChannel } from './validate';
