// `rules lint`: settings that are valid but likely to hurt someone: consent or sending-time law, or the
// sender's reputation. The first is Omnisend's own default: custom-event workflows reach unsubscribed contacts.
// What the gates let through is judged by evaluating them (lint-outcomes.ts), not by reading them.
import type { RuleSet } from './load';
import type { MatrixFile, MessageTypesFile, RegionsFile, SubscriptionColumnsFile } from './rule-file';
import { consentOutcomeWarnings, regionHasCanada } from './lint-outcomes';

export interface LintWarning {
  /** Stable id of the check, e.g. `custom-event-unsubscribed`. */
  check: string;
  file: string;
  pointer: string;
  message: string;
  hint: string;
}

const TCPA = { from: 8 * 60, until: 21 * 60 };
const CASL_MONTHS = { purchase: 24, inquiry: 6 } as const;
// The double opt-in confirmation is a consent request the sign-up asked for, not marketing: it must reach the
// unconfirmed address (docs/consent-http.md).
const CONFIRMATIONS = new Set([
  'order_confirmation',
  'shipping_confirmation',
  'cancellation_confirmation',
  'doi_confirmation',
]);

export function lintRuleSet(rs: RuleSet): LintWarning[] {
  const out: LintWarning[] = [];
  const { model } = rs;
  const files = (kind: string) => rs.files.filter((f) => f.kind === kind);
  const usRegions = model.regions.filter((r) => r.countries.includes('US') || model.missingCountry === r.id);

  for (const f of files('matrix')) {
    const m = f.content as MatrixFile;
    m.rows.forEach((row, i) => {
      const pointer = `/rows/${i}/reaches`;
      const marketing = !model.transactional.has(row.type);
      if (row.type === 'custom_event' && row.reaches.includes('unsubscribed')) {
        out.push({
          check: 'custom-event-unsubscribed',
          file: f.name,
          pointer,
          message: `custom-event workflows on matrix ${m.id} reach unsubscribed contacts (the Omnisend default)`,
          hint: 'Remove "unsubscribed" unless every custom event really is transactional; Omnisend warns this default sends to people who opted out.',
        });
      } else if (marketing && row.reaches.includes('unsubscribed')) {
        out.push({
          check: 'marketing-reaches-unsubscribed',
          file: f.name,
          pointer,
          message: `${row.type} is marketing but matrix ${m.id} lets it reach unsubscribed contacts`,
          hint: 'Remove "unsubscribed": sending promotions to people who unsubscribed can get the account suspended.',
        });
      }
      const usesUs = m.channel === 'sms' && usRegions.some((r) => r.matrices.sms === m.id);
      if (usesUs && row.reaches.some((c) => c !== 'subscribed')) {
        out.push({
          check: 'ctia-sms-without-opt-in',
          file: f.name,
          pointer,
          message: `matrix ${m.id} is used for US contacts but lets ${row.type} reach contacts who are not subscribed`,
          hint: 'CTIA requires explicit opt-in for every SMS in the US, confirmations included: keep only "subscribed".',
        });
      }
    });
    if (!model.regions.some((r) => Object.values(r.matrices).includes(m.id))) {
      out.push({
        check: 'unused-matrix',
        file: f.name,
        pointer: '/id',
        message: `no region uses matrix ${m.id}`,
        hint: 'Name it in a region\'s "matrices", or delete the file.',
      });
    }
  }

  for (const f of files('regions')) {
    (f.content as RegionsFile).regions.forEach((r, i) => {
      if (r.matrices.sms && !model.windows.some((w) => w.region === r.id && w.channel === 'sms')) {
        out.push({
          check: 'sms-without-quiet-hours',
          file: f.name,
          pointer: `/regions/${i}`,
          message: `region ${r.id} sends marketing SMS at any hour: no quiet-hours window`,
          hint: 'Add a window for it to quiet-hours.json, e.g. from "08:00" until "21:00".',
        });
      }
    });
  }

  for (const w of model.windows) {
    const us = usRegions.some((r) => r.id === w.region);
    const pointer = `/windows/${w.index}`;
    const open = w.days.filter((d) => d !== null);
    const from = Math.min(...open.map((d) => d.fromMinutes));
    const until = Math.max(...open.map((d) => d.untilMinutes));
    if (us && w.channel === 'sms' && (from < TCPA.from || until > TCPA.until)) {
      out.push({
        check: 'tcpa-window',
        file: w.file,
        pointer,
        message: `the SMS window of region ${w.region}${w.subdivisions.length ? ` for ${w.subdivisions.join(', ')}` : ''} (${w.from}-${w.until}${w.varies ? ' or other hours on some days' : ''}) is wider than 08:00-21:00`,
        hint: "TCPA allows marketing texts only between 8 a.m. and 9 p.m. at the recipient's location.",
      });
    }
    // A state's window that lets more through than the region's own (federal) one is almost always a typo:
    // state laws only ever narrow the hours.
    const federal = model.windows.find(
      (x) => x.region === w.region && x.channel === w.channel && x.subdivisions.length === 0,
    );
    const wider =
      federal &&
      w.subdivisions.length > 0 &&
      w.days.some((d, i) => {
        const f = federal.days[i];
        return d !== null && (!f || d.fromMinutes < f.fromMinutes || d.untilMinutes > f.untilMinutes);
      });
    if (wider) {
      out.push({
        check: 'state-window-wider',
        file: w.file,
        pointer,
        message: `the ${w.channel} window for ${w.subdivisions.join(', ')} lets marketing out at hours the region's own window (${federal.from}-${federal.until}) does not`,
        hint: 'A state window replaces the federal one for that state: keep its hours inside the federal hours, every day.',
      });
    }
  }

  // CASL's own periods; a longer one lets marketing reach Canadians whose implied consent the law ended.
  for (const r of model.regions) {
    const ic = r.impliedConsent;
    if (!ic || !regionHasCanada(model, r.id)) continue;
    for (const basis of ['purchase', 'inquiry'] as const) {
      if (ic.months[basis] <= CASL_MONTHS[basis]) continue;
      out.push({
        check: 'implied-consent-longer',
        file: ic.file,
        pointer: `${ic.pointer}/months/${basis}`,
        message: `region ${r.id} counts implied consent from ${basis === 'purchase' ? 'a purchase' : 'an inquiry'} for ${ic.months[basis]} months; CASL allows ${CASL_MONTHS[basis]}`,
        hint: `Write ${CASL_MONTHS[basis]} (CASL s. 10(10): two years after a purchase, six months after an inquiry).`,
      });
    }
  }

  for (const cap of model.caps) {
    const counted = cap.kinds
      ? cap.kinds.has('transactional')
      : [...cap.types!].some((t) => model.transactional.has(t));
    if (!counted) continue;
    out.push({
      check: 'cap-counts-transactional',
      file: cap.file,
      pointer: `/caps/${cap.index}`,
      message: `cap ${cap.id} limits and counts transactional messages: an order confirmation could be suppressed, and receipts use up the allowance for marketing`,
      hint: 'Limit marketing only: "kinds": ["marketing"], or list marketing types in "types".',
    });
  }

  for (const f of files('message-types')) {
    (f.content as MessageTypesFile).types.forEach(({ type: t, transactional }, i) => {
      if (transactional !== true || CONFIRMATIONS.has(t)) return;
      out.push({
        check: 'transactional-type',
        file: f.name,
        pointer: `/types/${i}/transactional`,
        message: `${t} is counted as transactional, so it skips quiet hours and the marketing gates`,
        hint: 'Only order, shipping and cancellation confirmations (and the double opt-in confirmation) are transactional in the reference tables.',
      });
    });
  }

  for (const f of files('subscription-columns')) {
    const columns = (f.content as SubscriptionColumnsFile).columns;
    for (const [status, column] of Object.entries(columns)) {
      if (status !== 'subscribed' && column === 'subscribed') {
        out.push({
          check: 'column-without-consent',
          file: f.name,
          pointer: `/columns/${status}`,
          message: `${status} subscriptions read the "subscribed" column, as if they had opted in`,
          hint: 'Map statuses without a confirmed opt-in to "non_subscribed" or "unsubscribed".',
        });
      }
    }
  }

  out.push(...consentOutcomeWarnings(rs));
  return out;
}
