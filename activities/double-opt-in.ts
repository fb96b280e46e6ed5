// What the double opt-in workflow asks the store while it waits without a signal: was the sign-up
// confirmed another way (the CLI's token, a confirm link whose signal was lost)? The store is the truth;
// the signal only saves the wait.
import type { Pool } from '../db/pool';
import { doubleOptInConfirmed } from '../db/contacts/doi';

export interface ConfirmationCheckInput {
  contactId: string;
  resource?: string;
}

export function createConfirmationCheck(deps: { pool: Pool }) {
  return async function isDoubleOptInConfirmed(input: ConfirmationCheckInput): Promise<boolean> {
    return doubleOptInConfirmed(deps.pool, input.contactId, input.resource ?? null);
  };
}
