// `rules lint`, the consent half: what the rule set DOES, found by evaluating it. Every combination of facts
// the rules can see (channel, message type, region, global status, active, blacklist, subscription status,
// category state) is one cell of the compiled tables; a cell whose outcome has no reason to suppress is a
// message that goes out. A gate that reads `globalStatus` proves nothing; a cell that sends marketing to a
// globally unsubscribed contact proves the hole, and names it.
import type { RuleSet } from './load';
import type { LintWarning } from './lint';
import { compileCondition, compileRules } from './compile';
import { words, type FactValues } from './reasons';
import { IMPLIED_CONSENT_COLUMN } from './implied-consent';

interface OutcomeCheck {
  check: string;
  /** The group a forbidden cell belongs to (one warning per group), or undefined when the cell is allowed to send. */
  forbidden(f: FactValues): string | undefined;
  message(group: string, examples: string): string;
  hint(group: string): string;
}

// Representative contacts isolate one property: everything else about them is as permissive as it gets.
const clean = (f: FactValues) => f.active && !f.blacklisted && f.globalStatus === 'subscribed';
const NO_MARKETING_SUBSCRIPTIONS = new Set(['complainer', 'suspended', 'unconfirmed']);
const UNREACHABLE_SUBSCRIPTIONS = new Set(['hard_bounced', 'invalid']);
const gateJson = (when: unknown) => JSON.stringify(when);

const CHECKS: OutcomeCheck[] = [
  {
    check: 'global-status-reached',
    forbidden: (f) =>
      f.globalStatus !== 'subscribed' && f.active && !f.blacklisted && f.kind === 'marketing'
        ? f.globalStatus
        : undefined,
    message: (g, ex) => `marketing reaches contacts with global status ${words(g)}: ${ex}`,
    hint: (g) =>
      `Restore gate:global-status (or gate:global-status-blocked) from the default gates.json, or add a gate: ${gateJson(
        {
          all: [
            { fact: 'kind', operator: 'equal', value: 'marketing' },
            { fact: 'globalStatus', operator: 'in', value: [g] },
          ],
        },
      )}.`,
  },
  {
    check: 'subscription-status-reached',
    forbidden: (f) =>
      clean(f) &&
      (UNREACHABLE_SUBSCRIPTIONS.has(f.subscriptionStatus) ||
        (NO_MARKETING_SUBSCRIPTIONS.has(f.subscriptionStatus) && f.kind === 'marketing'))
        ? f.subscriptionStatus
        : undefined,
    message: (s, ex) =>
      `${UNREACHABLE_SUBSCRIPTIONS.has(s) ? 'messages reach' : 'marketing reaches'} ${words(s)} subscriptions: ${ex}`,
    hint: (s) =>
      UNREACHABLE_SUBSCRIPTIONS.has(s)
        ? `Restore gate:subscription-unreachable from the default gates.json (add "${s}" to its list).`
        : `Restore gate:subscription-no-marketing from the default gates.json (add "${s}" to its list).`,
  },
  {
    check: 'blacklist-reached',
    forbidden: (f) =>
      f.blacklisted && f.active && f.globalStatus === 'subscribed' ? 'blacklisted' : undefined,
    message: (_, ex) => `messages reach blacklisted addresses: ${ex}`,
    hint: () =>
      `Restore gate:blacklist from the default gates.json: ${gateJson({ all: [{ fact: 'blacklisted', operator: 'equal', value: true }] })}, with no other condition.`,
  },
  {
    check: 'deactivated-reached',
    forbidden: (f) =>
      !f.active && !f.blacklisted && f.globalStatus === 'subscribed' ? 'deactivated' : undefined,
    message: (_, ex) => `messages reach deactivated contacts: ${ex}`,
    hint: () =>
      `Restore gate:deactivated from the default gates.json: ${gateJson({ all: [{ fact: 'active', operator: 'equal', value: false }] })}.`,
  },
  {
    check: 'category-reached',
    forbidden: (f) => (clean(f) && f.categoryState === 'unsubscribed' ? 'category' : undefined),
    message: (_, ex) => `messages reach subscriptions that unsubscribed from the message's category: ${ex}`,
    hint: () =>
      `Restore gate:category from the default gates.json: ${gateJson({ all: [{ fact: 'categoryState', operator: 'equal', value: 'unsubscribed' }] })}.`,
  },
];

const MAX_EXAMPLES = 4;

/** Whether Canadian contacts land in the region: it lists CA, or it takes every country no region lists. */
export function regionHasCanada(model: RuleSet['model'], region: string | null): boolean {
  if (region === null) return false;
  const owner = model.regions.find((r) => r.countries.includes('CA'));
  return owner ? owner.id === region : model.otherCountries === region;
}

/**
 * Marketing that reaches a non-subscribed Canadian with no implied-consent rule to end it: CASL allows it only
 * for two years after a purchase or six months after an inquiry. One warning, naming what goes out.
 */
function caslWarning(rs: RuleSet, compiled: ReturnType<typeof compileRules>): LintWarning | undefined {
  const cases = new Set<string>();
  for (let cell = 0; cell < compiled.size; cell++) {
    const f = compiled.factsAt(cell);
    if (f.kind !== 'marketing' || f.column !== IMPLIED_CONSENT_COLUMN || f.subscriptionStatus === 'none')
      continue;
    if (!clean(f) || f.categoryState !== 'no_category' || !regionHasCanada(rs.model, f.region)) continue;
    const o = compiled.outcome(cell);
    if (o.suppress.length === 0 && o.implied === null)
      cases.add(`${words(f.type)} by ${f.channel} in region ${f.region}`);
  }
  if (cases.size === 0) return undefined;
  const list = [...cases];
  const region = rs.model.regions.find((r) => regionHasCanada(rs.model, r.id))!;
  return {
    check: 'casl-without-implied-consent',
    file: region.file,
    pointer: `/regions/${rs.model.regions.filter((r) => r.file === region.file).indexOf(region)}`,
    message: `marketing reaches non-subscribed contacts in Canada whatever their implied consent: ${list.slice(0, MAX_EXAMPLES).join('; ')}${list.length > MAX_EXAMPLES ? `; and ${list.length - MAX_EXAMPLES} more` : ''}`,
    hint: 'Give Canada a region of its own with "impliedConsent" (copy regions.ca.json from the default rules): CASL allows marketing without express consent only two years after a purchase or six months after an inquiry.',
  };
}

export function consentOutcomeWarnings(rs: RuleSet): LintWarning[] {
  const compiled = compileRules(rs);
  const gatesFile = rs.files.find((f) => f.kind === 'gates')?.name ?? '(folder)';
  // per check, per group: the distinct (type, channel, region) that go out, in table order
  const found = CHECKS.map(() => new Map<string, Set<string>>());
  const gates = rs.model.gates.map((g) => ({ gate: g, test: compileCondition(g.when) }));
  const signatures = gates.map(() => new Uint8Array(compiled.size));

  for (let cell = 0; cell < compiled.size; cell++) {
    const f = compiled.factsAt(cell);
    let stopped = false;
    gates.forEach((g, i) => {
      const hit = g.test(f);
      signatures[i]![cell] = hit ? 1 : 0;
      stopped ||= hit;
    });
    // A gate that matches stops the message: only the rest need the whole outcome (matrix and all).
    if (stopped || f.region === null || f.subscriptionStatus === 'none') continue;
    const groups = CHECKS.map((c) => c.forbidden(f));
    if (groups.every((g) => g === undefined)) continue;
    if (compiled.outcome(cell).suppress.length > 0) continue;
    groups.forEach((group, i) => {
      if (group === undefined) return;
      const byGroup = found[i]!;
      if (!byGroup.has(group)) byGroup.set(group, new Set());
      byGroup.get(group)!.add(`${words(f.type)} by ${f.channel} in region ${f.region}`);
    });
  }

  const out: LintWarning[] = [];
  const casl = caslWarning(rs, compiled);
  if (casl) out.push(casl);
  CHECKS.forEach((c, i) => {
    for (const [group, cases] of found[i]!) {
      const list = [...cases];
      const examples =
        list.slice(0, MAX_EXAMPLES).join('; ') +
        (list.length > MAX_EXAMPLES ? `; and ${list.length - MAX_EXAMPLES} more` : '');
      out.push({
        check: c.check,
        file: gatesFile,
        pointer: '/gates',
        message: c.message(group, examples),
        hint: c.hint(group),
      });
    }
  });

  // Gates that stop exactly the same cells are one rule twice, however differently they are written.
  const bySignature = new Map<string, number>();
  gates.forEach(({ gate }, i) => {
    if (!signatures[i]!.includes(1)) return; // reported as never matching, below
    const key = Buffer.from(signatures[i]!).toString('base64');
    const first = bySignature.get(key);
    if (first === undefined) {
      bySignature.set(key, i);
      return;
    }
    const other = gates[first]!.gate;
    out.push({
      check: 'duplicate-gate',
      file: gate.file,
      pointer: `/gates/${gate.index}`,
      message: `${gate.id} stops exactly the messages ${other.id} (${other.file} /gates/${other.index}) stops: it is the same rule under another id${gate.message === other.message ? '' : ', with another message'}`,
      hint: `Delete one of the two; if they were meant to differ, change the conditions of ${gate.id}.`,
    });
  });
  gates.forEach(({ gate }, i) => {
    if (signatures[i]!.includes(1)) return;
    out.push({
      check: 'gate-never-matches',
      file: gate.file,
      pointer: `/gates/${gate.index}/when`,
      message: `${gate.id} matches no message to any contact, so it never stops anything`,
      hint: 'Check its conditions: an "all" whose parts exclude each other, or a value its fact never takes together with the others.',
    });
  });
  return out;
}
