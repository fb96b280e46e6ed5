// Errors the store raises for bad input: each names the field, what is wrong and how to fix it, so the CLI
// and the importer can print them as they are.

export class ContactFieldError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'ContactFieldError';
  }
}

export class ContactNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no contact matches "${key}" (give a contact id, an email address or an E.164 phone number)`);
    this.name = 'ContactNotFoundError';
  }
}

/** The same person is claimed by two different contacts (email of one, phone of another). */
export class IdentityConflictError extends ContactFieldError {
  constructor(field: string, reason: string) {
    super(field, reason);
    this.name = 'IdentityConflictError';
  }
}

export class ConfirmationTokenError extends Error {
  constructor(
    readonly problem: 'malformed' | 'bad_signature' | 'expired' | 'used' | 'unknown',
    message: string,
  ) {
    super(message);
    this.name = 'ConfirmationTokenError';
  }
}

export class NotesLimitError extends Error {
  constructor(contactId: string) {
    super(
      `contact ${contactId} already has 5 notes (the maximum); delete one with "contacts note delete" first`,
    );
    this.name = 'NotesLimitError';
  }
}

/** An unsubscribe (or other change) named a subscription the contact does not have. */
export class NoSuchSubscriptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoSuchSubscriptionError';
  }
}
