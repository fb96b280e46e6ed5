// The preference page's HTML: the global status, then one fieldset per subscription (resource and channel)
// with its categories. Every control has a label; addresses are masked; the page works without script.
import { maskAddress } from '../activities/mask';
import { escapeHtml, page } from './html';

export interface PreferenceSubscription {
  id: string;
  resource: string;
  channel: 'email' | 'sms';
  address: string;
  status: string;
  categories: Record<string, 'subscribed' | 'unsubscribed'>;
}

export interface PreferenceState {
  contactId: string;
  status: string;
  subscriptions: PreferenceSubscription[];
}

/** Statuses a person may switch on and off here; others (bounced, complained) are shown, not offered. */
export const SWITCHABLE = new Set(['subscribed', 'unsubscribed']);

const STATUS_WORDS: Record<string, string> = {
  subscribed: 'subscribed',
  unsubscribed: 'unsubscribed',
  unconfirmed: 'waiting for your confirmation',
  non_subscribed: 'not subscribed',
  hard_bounced: 'paused: messages to this address bounced',
  complainer: 'paused: marked as spam',
};

const words = (s: string) => STATUS_WORDS[s] ?? s;
const channelWord = (c: string) => (c === 'email' ? 'Email' : 'Text messages (SMS)');

function checkbox(name: string, label: string, checked: boolean, disabled = false): string {
  const id = `f-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return `<label for="${escapeHtml(id)}"><input type="checkbox" id="${escapeHtml(id)}" name="${escapeHtml(name)}"${checked ? ' checked' : ''}${disabled ? ' disabled' : ''}>${escapeHtml(label)}</label>`;
}

/** Form field names: `g` global, `s.<id>` subscription, `c.<id>.<category>` category. */
export const fieldNames = (state: PreferenceState): string[] => [
  ...(SWITCHABLE.has(state.status) ? ['g'] : []),
  ...state.subscriptions.flatMap((s) =>
    SWITCHABLE.has(s.status) ? [`s.${s.id}`, ...Object.keys(s.categories).map((c) => `c.${s.id}.${c}`)] : [],
  ),
];

export function preferencePage(state: PreferenceState, action: string, notice?: string): string {
  const global = SWITCHABLE.has(state.status)
    ? checkbox('g', 'Receive messages from us at all', state.status === 'subscribed')
    : `<p class="status">Messages: ${escapeHtml(words(state.status))}</p>`;
  const subs = state.subscriptions
    .map((s) => {
      const legend = `${escapeHtml(s.resource)}: ${channelWord(s.channel)} to ${escapeHtml(maskAddress(s.address))}`;
      if (!SWITCHABLE.has(s.status))
        return `<fieldset><legend>${legend}</legend><p class="status">${escapeHtml(words(s.status))}</p></fieldset>`;
      const cats = Object.entries(s.categories)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([c, st]) => checkbox(`c.${s.id}.${c}`, `Topic: ${c}`, st === 'subscribed'))
        .join('');
      return `<fieldset><legend>${legend}</legend>${checkbox(`s.${s.id}`, 'Subscribed', s.status === 'subscribed')}${cats}</fieldset>`;
    })
    .join('\n');
  const fields = fieldNames(state).join(',');
  return page(
    'Your email and SMS preferences',
    `<h1>Your preferences</h1>
${notice ? `<p role="status" class="status">${escapeHtml(notice)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="fields" value="${escapeHtml(fields)}">
<fieldset><legend>All messages</legend>${global}</fieldset>
${subs || '<p>You have no subscriptions.</p>'}
<button class="primary" type="submit" name="action" value="save">Save my choices</button>
<button type="submit" name="action" value="all">Unsubscribe from everything</button>
</form>`,
  );
}
