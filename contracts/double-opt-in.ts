// The double opt-in confirmation message, shared by the workflow that sends it, the sender that puts its
// confirm link in ({{confirm_url}}) and the server that answers that link.
export const DOI_MESSAGE_TYPE = 'doi_confirmation';
export const DOI_TEMPLATE = 'doi-confirmation-email';
export const DOI_STEP = 'doi-confirmation-email';
/** Template value the workflow passes: until when the confirm link works (ISO instant, real time). */
export const DOI_EXPIRES_VAR = 'confirm_expires_at';
/** When the workflow passed no expiry: as long as a CLI confirmation token works by default. */
export const DOI_DEFAULT_TTL_MS = 48 * 3600_000;
