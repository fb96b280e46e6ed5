// `consentflow contacts ...`: the contact store from a terminal. Output is for
// people by default and JSON with --json; errors are one line with the exit code the docs promise.
import { Option, type Command } from 'commander';
import type * as Store from '../contacts';
import { ORIGINS } from '../../db/contacts/types';
import { CliError, numberOption } from './errors';
import { registerImportCommand } from './contacts-import';
import { registerExportCommand } from './contacts-export';
import { poolRunner } from './store-pool';

// The contact store and the PostgreSQL driver load when a command of this file runs, not at every CLI start.
let store: typeof Store;
async function loadStore(): Promise<void> {
  store = await import('../contacts');
}

const out = (line = ''): boolean => process.stdout.write(`${line}\n`);
const json = (value: unknown): boolean => out(JSON.stringify(value, null, 2));
const display = (v: unknown): string =>
  v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : JSON.stringify(v);

const withPool = poolRunner(4, asCliError);

function asCliError(err: unknown): unknown {
  if (
    err instanceof store.ImportInputError ||
    err instanceof store.ContactFieldError ||
    err instanceof store.NoSuchSubscriptionError ||
    (err instanceof store.ConfirmationTokenError && ['malformed', 'bad_signature'].includes(err.problem))
  )
    return new CliError(err.message, 2);
  if (
    err instanceof store.ContactNotFoundError ||
    err instanceof store.ConfirmationTokenError ||
    err instanceof store.NotesLimitError
  ) {
    return new CliError(err.message, 1);
  }
  return err;
}

/**
 * Who made the change, for the consent ledger. A change typed here is an operator's: it may not claim to be
 * a form sign-up, an import or provider feedback, which are proof of something else.
 */
const originOption = (allowed: Store.Origin[] = ['admin']) =>
  new Option('--origin <origin>', `who made the change, for the consent ledger (${allowed.join(' or ')})`)
    .argParser((raw: string) => {
      const origin = raw.trim().toLowerCase() as Store.Origin;
      if (allowed.includes(origin)) return origin;
      throw new CliError(
        `--origin ${raw} is not allowed here: a change made with this command is recorded as ${allowed.join(' or ')}. ` +
          'Form consent comes from contacts signup and confirm, import from contacts import, feedback from consentflow feedback',
        2,
      );
    })
    .default(allowed[0]!);
const ctx = (o: { origin: Store.Origin; note?: string }): Store.ConsentContext => ({
  origin: o.origin,
  source: { via: 'cli', user: process.env.USER ?? 'unknown', ...(o.note ? { note: o.note } : {}) },
});
const channelOption = () =>
  new Option('--channel <channel>', 'email or sms (phone is accepted for sms)').argParser((raw: string) => {
    try {
      return store.parseChannel(raw);
    } catch (err) {
      throw new CliError(`--channel ${(err as Error).message.replace(/^channel: /, '')}`, 2);
    }
  });

export function registerContactsCommands(program: Command): void {
  const contacts = program
    .command('contacts')
    .description('contacts and consent: import, show, change, erase')
    // Before the subcommand parses its options: --channel's parser uses the store's validation.
    .hook('preSubcommand', loadStore);

  registerImportCommand(contacts, withPool);
  registerExportCommand(contacts, withPool);

  contacts
    .command('show <key>')
    .description('a contact by id, email or phone; --json prints the profile the decision engine reads')
    .option('--json', 'the ContactProfile JSON')
    .action(async (key: string, o: { json?: boolean }) => {
      await withPool(async (pool) => {
        const d = await store.showContact(pool, key);
        if (!d) throw new store.ContactNotFoundError(key);
        if (o.json) {
          json(d.profile);
          return;
        }
        for (const [k, v] of Object.entries(d.contact)) {
          if (v !== null && !(typeof v === 'object' && !(v instanceof Date) && Object.keys(v).length === 0)) {
            out(`${k.padEnd(11)} ${display(v)}`);
          }
        }
        out(`blacklist   email=${d.profile.blacklist?.email} phone=${d.profile.blacklist?.phone}`);
        out(`subscriptions (${d.subscriptions.length}):`);
        for (const s of d.subscriptions) {
          const cats = Object.entries(s.categories as Record<string, string>)
            .map(([c, st]) => `${c}:${st}`)
            .join(' ');
          out(
            `  ${String(s.resource)}/${String(s.channel)} ${String(s.address)} ${String(s.status)} priority=${String(s.priority)}${cats ? ` categories ${cats}` : ''}${s.deleted_at ? ' (deleted)' : ''}`,
          );
        }
        if (d.notes.length) out(`notes (${d.notes.length}/5):`);
        for (const n of d.notes) out(`  #${n.id} ${n.created_at.toISOString()} ${n.author}: ${n.body}`);
      });
    });

  contacts
    .command('history <key>')
    .description('the consent ledger of a contact (activity feed), newest first')
    .addOption(channelOption())
    .addOption(new Option('--origin <origin>').choices([...ORIGINS]))
    .option('--status <status>', 'status after the change')
    .option(
      '--days <n>',
      'only the last N days (7, 14, 30...)',
      numberOption('--days', { what: 'how many days back', min: 1, max: 36_500, example: 30 }),
    )
    .option('--json')
    .action(async (key: string, o: Store.FeedFilter & { json?: boolean }) => {
      await withPool(async (pool) => {
        const rows = await store.activityFeed(pool, key, o);
        if (o.json) {
          json(rows);
          return;
        }
        for (const r of rows) {
          const what = [r.kind, r.channel, r.resource, r.category, r.address].filter(Boolean).join(' ');
          out(
            `${r.at.toISOString()} ${r.origin.padEnd(8)} ${what}: ${JSON.stringify(r.before)} -> ${JSON.stringify(r.after)} ${JSON.stringify(r.source)}`,
          );
        }
        if (!rows.length) out('no ledger rows match');
      });
    });

  contacts
    .command('add')
    .description('create or update one contact (same fields as the import columns)')
    .option('--id <id>')
    .option('--email <email>')
    .option('--phone <phone>')
    .option('--first-name <name>')
    .option('--last-name <name>')
    .option('--gender <code>')
    .option('--language <code>')
    .option('--country <code>')
    .option('--subdivision <ISO 3166-2>', 'state or province, e.g. US-FL or CA-ON')
    .option('--timezone <zone>')
    .option('--birthday <YYYY-MM-DD>')
    .option('--implied-consent-basis <basis>', 'CASL implied consent: purchase or inquiry')
    .option('--implied-consent-at <YYYY-MM-DD>', 'the date of that purchase or inquiry')
    .option('--status <status>')
    .option('--resource <resource>')
    .option('--email-status <status>')
    .option('--sms-status <status>')
    .option('--priority <n>')
    .option('--categories <list>')
    .option('--field <name=value...>', 'custom field value (repeatable)')
    .addOption(originOption(['api', 'admin']))
    .action(async (o: Record<string, string | string[] | undefined> & { origin: Store.Origin }) => {
      const custom = Object.fromEntries(
        ((o.field as string[] | undefined) ?? []).map((f) => [
          f.split('=')[0]!,
          f.split('=').slice(1).join('='),
        ]),
      );
      const input: Store.ContactInput = {
        id: o.id as string,
        email: o.email as string,
        phone: o.phone as string,
        first_name: o.firstName as string,
        last_name: o.lastName as string,
        gender: o.gender as string,
        language: o.language as string,
        country: o.country as string,
        subdivision: o.subdivision as string,
        timezone: o.timezone as string,
        birthday: o.birthday as string,
        implied_consent_basis: o.impliedConsentBasis as string,
        implied_consent_at: o.impliedConsentAt as string,
        status: o.status as string,
        resource: o.resource as string,
        email_status: o.emailStatus as string,
        sms_status: o.smsStatus as string,
        priority: o.priority as string,
        categories: o.categories as string,
        custom,
      };
      out(await withPool((pool) => store.upsertContact(pool, input, ctx(o))));
    });

  contacts
    .command('signup')
    .description('a form sign-up: unconfirmed until the printed token is confirmed (double opt-in)')
    .option('--email <email>')
    .option('--phone <phone>')
    .option('--first-name <name>')
    .option('--resource <resource>')
    .option(
      '--ttl-hours <n>',
      'how long the token works',
      numberOption('--ttl-hours', {
        what: 'the number of hours the token works',
        min: 0,
        exclusiveMin: true,
        max: 24 * 366,
        integer: false,
        example: 48,
      }),
      48,
    )
    .option('--json')
    .action(
      async (o: {
        email?: string;
        phone?: string;
        firstName?: string;
        resource?: string;
        ttlHours: number;
        json?: boolean;
      }) => {
        const r = await withPool((pool) =>
          store.signUp(
            pool,
            { email: o.email, phone: o.phone, first_name: o.firstName, resource: o.resource },
            { ttlMs: o.ttlHours * 3600_000, source: { via: 'cli' } },
          ),
        );
        if (o.json) json(r);
        else
          out(
            `contact ${r.contactId} is unconfirmed; confirm with: consentflow contacts confirm ${r.confirmationToken}`,
          );
      },
    );

  contacts
    .command('confirm <token>')
    .description('confirm a double opt-in with its token')
    .action(async (token: string) => {
      const r = await withPool((pool) => store.confirmSubscription(pool, token, { source: { via: 'cli' } }));
      out(`contact ${r.contactId} confirmed (${r.changes} change${r.changes === 1 ? '' : 's'})`);
    });

  contacts
    .command('set-status <key> <status>')
    .description(
      'set the global status (subscribed, unsubscribed, complainer, hard_bounced, unconfirmed, suspended, invalid; any case)',
    )
    .addOption(originOption())
    .action(async (key: string, status: string, o: { origin: Store.Origin }) => {
      const r = await withPool((pool) => store.setStatus(pool, key, status, ctx(o)));
      out(
        r.changed
          ? `contact ${r.contactId}: status is now ${r.status}`
          : `contact ${r.contactId} already has status ${r.status}`,
      );
    });

  contacts
    .command('subscribe <key>')
    .description('add or change a subscription (limits: 20 per resource and channel, 200 per contact)')
    .option('--resource <resource>', 'resource', 'default')
    .addOption(channelOption().makeOptionMandatory())
    .option('--address <address>', "default: the contact's email or phone")
    .option('--status <status>', 'default: subscribed for a new subscription')
    .option(
      '--priority <n>',
      'lower number wins',
      numberOption('--priority', { what: 'lower number wins', min: -1_000_000, max: 1_000_000, example: 0 }),
    )
    .option('--category <name>', 'subscribe this category only')
    .addOption(originOption())
    .action(
      async (
        key: string,
        o: {
          resource: string;
          channel: 'email' | 'sms';
          address?: string;
          status?: string;
          priority?: number;
          category?: string;
          origin: Store.Origin;
        },
      ) => {
        await withPool(async (pool) => {
          if (o.category) {
            const r = await store.setCategory(
              pool,
              key,
              { resource: o.resource, category: o.category, channel: o.channel },
              'subscribed',
              ctx(o),
            );
            if (!r.changes)
              throw new CliError(
                `contact ${r.contactId} has no ${o.channel} subscription to ${o.resource} without category ${o.category} subscribed; subscribe to the resource first`,
                1,
              );
            out(`contact ${r.contactId}: category ${o.category} subscribed on ${r.changes} subscription(s)`);
            return;
          }
          const id = await store.subscribe(
            pool,
            key,
            {
              resource: o.resource,
              channel: o.channel,
              address: o.address,
              status: o.status as Store.SubscriptionInput['status'],
              priority: o.priority,
            },
            ctx(o),
          );
          out(`contact ${id}: ${o.channel} subscription to ${o.resource} saved`);
        });
      },
    );

  contacts
    .command('unsubscribe <key>')
    .description('without --resource the global status becomes unsubscribed; with it, that resource only')
    .option('--resource <resource>')
    .addOption(channelOption())
    .option('--category <name>')
    .option('--address <address>', 'only the subscriptions of this address')
    .addOption(originOption())
    .action(async (key: string, o: Store.UnsubscribeScope & { origin: Store.Origin }) => {
      const r = await withPool((pool) => store.unsubscribe(pool, key, o, ctx(o)));
      out(`contact ${r.contactId}: ${r.changes} change${r.changes === 1 ? '' : 's'}`);
    });

  for (const [name, active] of [
    ['activate', true],
    ['deactivate', false],
  ] as const) {
    contacts
      .command(`${name} <key>`)
      .description(
        active
          ? 'enable a contact: it can receive messages on its subscribed channels'
          : 'disable a contact: nothing is sent to it',
      )
      .addOption(originOption())
      .action(async (key: string, o: { origin: Store.Origin }) => {
        const r = await withPool((pool) => store.setActive(pool, key, active, ctx(o)));
        out(
          `contact ${r.contactId} ${r.changed ? 'is now' : 'was already'} ${active ? 'active' : 'inactive'}`,
        );
      });
  }

  const blacklist = contacts
    .command('blacklist')
    .description('email and phone blacklists (by address, across contacts)');
  blacklist
    .command('list')
    .description('the listed addresses, newest first')
    .option('--channel <list>', 'email or phone (sms is accepted for phone)')
    .option('--json')
    .action(async (o: { channel?: string; json?: boolean }) => {
      const rows = await withPool((pool) => store.listBlacklist(pool, o.channel));
      if (o.json) {
        json(rows);
        return;
      }
      for (const r of rows)
        out(
          `${r.list.padEnd(6)} ${(r.address ?? '(erased)').padEnd(32)} ${r.added_at.toISOString()} ${r.origin}${r.reason ? ` ${r.reason}` : ''}`,
        );
      if (!rows.length) out('no blacklisted addresses');
    });
  for (const [name, add] of [
    ['add', true],
    ['remove', false],
  ] as const) {
    blacklist
      .command(`${name} <list> <address>`)
      .description(
        add
          ? 'block an address (list: email or phone) for every contact that has it'
          : 'unblock an address (list: email or phone)',
      )
      .option('--reason <text>')
      .addOption(originOption())
      .action(async (channel: string, address: string, o: { reason?: string; origin: Store.Origin }) => {
        const r = await withPool((pool) =>
          add
            ? store.addToBlacklist(pool, channel, address, { reason: o.reason }, ctx(o))
            : store.removeFromBlacklist(pool, channel, address, ctx(o)),
        );
        out(
          `${r.address} ${r.changed ? (add ? 'added to' : 'removed from') : add ? 'was already on' : 'was not on'} the ${store.blacklistName(r.channel)} blacklist (${r.contactIds.length} contact(s) have it)`,
        );
      });
  }

  contacts
    .command('erase <key>')
    .description(
      'GDPR erase: remove the person everywhere, keep only a non-identifying tombstone (irreversible)',
    )
    .option('--yes', 'confirm: this cannot be undone')
    .addOption(originOption())
    .action(async (key: string, o: { yes?: boolean; origin: Store.Origin }) => {
      if (!o.yes) throw new CliError(`erasing ${key} cannot be undone; run again with --yes to confirm`, 2);
      const r = await withPool((pool) => store.eraseContact(pool, key, ctx(o)));
      out(
        `contact ${r.contactId} erased: ${r.addresses} address(es) forgotten, ${r.scrubbedRows} row(s) in other tables scrubbed`,
      );
    });

  registerNoteAndFieldCommands(contacts);
}

function registerNoteAndFieldCommands(contacts: Command): void {
  const note = contacts.command('note').description('notes on a contact (at most 5, 500 characters each)');
  note
    .command('add <key> <text>')
    .option('--author <name>', 'who wrote it', process.env.USER ?? 'admin')
    .action(async (key: string, text: string, o: { author: string }) => {
      const n = await withPool((pool) => store.addNote(pool, key, text, o.author));
      out(`note #${n.id} added`);
    });
  note
    .command('list <key>')
    .option('--json')
    .action(async (key: string, o: { json?: boolean }) => {
      const notes = await withPool((pool) => store.listNotes(pool, key));
      if (o.json) {
        json(notes);
        return;
      }
      for (const n of notes) out(`#${n.id} ${n.created_at.toISOString()} ${n.author}: ${n.body}`);
    });
  note
    .command('delete <key> <id>')
    .description('delete a note (cannot be undone)')
    .action(async (key: string, id: string) => {
      if (!/^\d+$/.test(id.trim()))
        throw new CliError(
          `note id "${id}" is not a number; see the notes and their #numbers with: consentflow contacts note list ${key}`,
          2,
        );
      if (!(await withPool((pool) => store.deleteNote(pool, key, id.trim()))))
        throw new CliError(`contact ${key} has no note #${id}`, 1);
      out(`note #${id} deleted`);
    });

  const fields = contacts
    .command('fields')
    .description('typed custom fields (number, float, line, date, boolean, enum, ip, tags)');
  fields
    .command('define <name> <kind>')
    .option('--options <list>', 'enum options, comma-separated')
    .addOption(new Option('--scope <scope>').choices(['profile', 'subscription']).default('profile'))
    .action(
      async (name: string, kind: string, o: { options?: string; scope: 'profile' | 'subscription' }) => {
        await withPool((pool) =>
          store.defineCustomField(pool, {
            name,
            kind: kind as Store.CustomFieldKind,
            scope: o.scope,
            options: o.options?.split(','),
          }),
        );
        out(`${o.scope} field ${name} (${kind}) defined`);
      },
    );
  fields.command('list').action(async () => {
    const defs = await withPool(async (pool) => [
      ...(await store.loadCustomFields(pool, 'profile')).values(),
      ...(await store.loadCustomFields(pool, 'subscription')).values(),
    ]);
    for (const d of defs)
      out(
        `${d.scope.padEnd(12)} ${d.name.padEnd(24)} ${d.kind}${d.options ? ` (${d.options.join(', ')})` : ''}`,
      );
  });
}
