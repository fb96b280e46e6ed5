// `consentflow contacts export <key>`: everything the store holds about one contact, as JSON on stdout
// (GDPR Art. 15/20). Exit 1 with one line when no contact has that id, email or phone.
import type { Command } from 'commander';
import type { WithPool } from './store-pool';

export function registerExportCommand(contacts: Command, withPool: WithPool): void {
  contacts
    .command('export <key>')
    .description(
      'print everything stored about a contact (id, email or phone) as JSON: profile, subscriptions, ledger with proof, decisions, deliveries',
    )
    .action(async (key: string) => {
      // Loaded on use: `--help` must not load the contact store.
      const { exportContact } = await import('../../db/contacts/export');
      const { ContactNotFoundError } = await import('../../db/contacts/errors');
      const data = await withPool(async (pool) => {
        const found = await exportContact(pool, key);
        if (!found) throw new ContactNotFoundError(key);
        return found;
      });
      process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    });
}
