// Translates a rule set into json-rules-engine rules: the gates as written in gates.json, the matrices and
// quiet-hours windows as generated conditions. The same files, evaluated by json-rules-engine itself.
import type { RuleProperties, TopLevelCondition } from 'json-rules-engine';
import type { RuleSet } from './load';
import { RULE_IDS, TEMPLATES } from './reasons';
import type { WindowModel } from './model-build';
import { MATRIX_COLUMNS, WEEKDAYS } from './rule-file';
import type { CapModel } from './caps';
import { IMPLIED_CONSENT_COLUMN, IMPLIED_TEMPLATES } from './implied-consent';

/** The fact that holds the count a cap saw, e.g. `count:cap:marketing-sms`. */
export const capFact = (cap: CapModel) => `count:${cap.id}`;

function capConditions(cap: CapModel): TopLevelCondition {
  const all: Array<ReturnType<typeof fact>> = [];
  if (cap.channel !== null) all.push(first('channel', 'equal', cap.channel));
  if (cap.kinds) all.push(first('kind', 'in', [...cap.kinds]));
  else all.push(first('type', 'in', [...cap.types!]));
  if (cap.regions !== null) all.push(fact('region', 'in', [...cap.regions]));
  if (cap.category !== null) all.push(fact('category', 'equal', cap.category));
  if (cap.sameCategory) all.push(fact('category', 'notEqual', null));
  all.push(fact(capFact(cap), 'greaterThanInclusive', cap.limit));
  return { all };
}

/** Local times outside the window: a closed date, a closed weekday, or before/after the hours of the day. */
function outside(w: WindowModel): TopLevelCondition {
  const branches: unknown[] = [];
  if (w.closedOn.size > 0) branches.push(fact('localDate', 'in', [...w.closedOn]));
  const closed = w.days.flatMap((d, i) => (d === null ? [i] : []));
  if (closed.length > 0) branches.push(fact('weekday', 'in', closed));
  const groups = new Map<string, number[]>();
  w.days.forEach((d, i) => {
    if (d === null) return;
    const key = `${d.fromMinutes}-${d.untilMinutes}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  for (const [key, days] of groups) {
    const [from, until] = key.split('-').map(Number) as [number, number];
    const hours = {
      any: [fact('localMinutes', 'lessThan', from), fact('localMinutes', 'greaterThanInclusive', until)],
    };
    branches.push(days.length === 7 ? hours : { all: [fact('weekday', 'in', days), hours] });
  }
  return { any: branches } as TopLevelCondition;
}
const dayNames = (w: WindowModel) =>
  w.varies
    ? ` (${WEEKDAYS.map((d, i) => `${d} ${w.days[i] ? `${w.days[i].from}-${w.days[i].until}` : 'closed'}`).join(', ')}${w.closedOn.size ? `; closed on ${w.closedOn.size} dates` : ''})`
    : '';

export type Stage = 'consent' | 'timing';
export type EventKind = 'suppress' | 'defer' | 'allow' | 'halt';

export interface EventParams {
  /** Stable rule id reported in reasons, e.g. `gate:blacklist`. */
  rule: string;
  /** Order of reasons; the engine runs a priority level in parallel, so we sort by this afterwards. */
  seq: number;
  stage: Stage;
  template: string;
  /** What the rule checks, for `rules explain`. */
  title: string;
  window?: Pick<WindowModel, 'region' | 'channel' | 'from' | 'until' | 'fromMinutes' | 'untilMinutes'>;
  /** Index of the window in the model's windows (timing rules of a window). */
  windowIndex?: number;
  /** Index of the cap in the model's caps (cap rules). */
  capIndex?: number;
}

export interface EngineRule extends RuleProperties {
  name: string;
  event: { type: EventKind; params: EventParams };
}

const PRIORITY = {
  region: 100,
  gates: 90,
  subscription: 80,
  matrix: 70,
  impliedConsent: 60,
  halt: 20,
  caps: 15,
  timing: 10,
} as const;
const fact = (name: string, operator: string, value: unknown) => ({ fact: name, operator, value });
// json-rules-engine evaluates an `all` by condition priority and stops at the first failing level: testing
// the cheap, selective fact first (which matrix, which region) spares the rest of the conditions.
const first = (name: string, operator: string, value: unknown) => ({
  ...fact(name, operator, value),
  priority: 2,
});

export function buildEngineRules(rs: RuleSet): EngineRule[] {
  const rules: EngineRule[] = [];
  let seq = 0;
  const add = (
    name: string,
    priority: number,
    conditions: TopLevelCondition,
    type: EventKind,
    params: Omit<EventParams, 'seq'>,
  ) => rules.push({ name, priority, conditions, event: { type, params: { ...params, seq: seq++ } } });

  add(RULE_IDS.regionUnknown, PRIORITY.region, { all: [fact('region', 'equal', null)] }, 'suppress', {
    rule: RULE_IDS.regionUnknown,
    stage: 'consent',
    template: TEMPLATES.regionUnknown,
    title: "the contact's country belongs to no region",
  });
  add(
    RULE_IDS.regionNoMatrix,
    PRIORITY.region,
    { all: [fact('region', 'notEqual', null), fact('matrix', 'equal', null)] },
    'suppress',
    {
      rule: RULE_IDS.regionNoMatrix,
      stage: 'consent',
      template: TEMPLATES.regionNoMatrix,
      title: "the contact's region names no matrix for this channel",
    },
  );
  for (const g of rs.model.gates) {
    add(g.id, PRIORITY.gates, g.when, 'suppress', {
      rule: g.id,
      stage: 'consent',
      template: g.message,
      title: g.description ?? `gate ${g.id} of ${g.file}`,
    });
  }
  add(
    RULE_IDS.subscriptionNone,
    PRIORITY.subscription,
    { all: [fact('subscriptionStatus', 'equal', 'none')] },
    'suppress',
    {
      rule: RULE_IDS.subscriptionNone,
      stage: 'consent',
      template: TEMPLATES.subscriptionNone,
      title: 'the contact has no subscription on this channel (and resource)',
    },
  );
  for (const m of rs.model.matrices.values()) {
    const rule = RULE_IDS.matrix(m.id);
    const base = [first('matrix', 'equal', m.id), fact('subscriptionStatus', 'notEqual', 'none')];
    const rows = [...m.rows.entries()];
    add(
      `${rule} (no row)`,
      PRIORITY.matrix,
      {
        all: [
          ...base,
          fact(
            'type',
            'notIn',
            rows.map(([t]) => t),
          ),
        ],
      },
      'suppress',
      {
        rule,
        stage: 'consent',
        template: TEMPLATES.matrixNotListed,
        title: `the ${m.id} matrix (${m.file}) has no row for this message type`,
      },
    );
    if (rows.length === 0) continue;
    // One branch per column (types that reach it) rather than per row: json-rules-engine clones every
    // condition tree into its results, so small trees are what keep this path usable.
    const cell = (operator: 'in' | 'notIn') => ({
      any: MATRIX_COLUMNS.map((column) => ({
        all: [
          fact('column', 'equal', column),
          fact(
            'type',
            operator,
            rows.filter(([, reaches]) => reaches.has(column)).map(([t]) => t),
          ),
        ],
      })),
    });
    add(
      `${rule} (column)`,
      PRIORITY.matrix,
      {
        all: [
          ...base,
          fact(
            'type',
            'in',
            rows.map(([t]) => t),
          ),
          cell('notIn'),
        ],
      },
      'suppress',
      {
        rule,
        stage: 'consent',
        template: TEMPLATES.matrixDenies,
        title: `the ${m.id} matrix (${m.file}) does not let this type reach this subscription's column`,
      },
    );
    add(`${rule} (allows)`, PRIORITY.matrix, { all: [...base, cell('in')] }, 'allow', {
      rule,
      stage: 'consent',
      template: TEMPLATES.matrixAllows,
      title: `the ${m.id} matrix (${m.file}) lets this type reach this subscription's column`,
    });
  }
  // CASL: a region's implied-consent rule, one engine rule per way the consent can fail to hold.
  for (const region of rs.model.regions) {
    const ic = region.impliedConsent;
    if (!ic) continue;
    const when = {
      none: 'there is no purchase or inquiry on record',
      expired: `the purchase (${ic.months.purchase} months) or inquiry (${ic.months.inquiry} months) has expired`,
      future: 'the purchase or inquiry is dated after the day of the message',
    } as const;
    for (const state of ['none', 'expired', 'future'] as const) {
      add(
        `${ic.id} (${state})`,
        PRIORITY.impliedConsent,
        {
          all: [
            first('region', 'equal', region.id),
            first('kind', 'equal', 'marketing'),
            fact('column', 'equal', IMPLIED_CONSENT_COLUMN),
            fact('impliedConsent', 'equal', state),
          ],
        },
        'suppress',
        {
          rule: ic.id,
          stage: 'consent',
          template: IMPLIED_TEMPLATES[state],
          title: `in region ${region.id}, marketing to a non-subscribed contact needs implied consent, and ${when[state]} (${region.file})`,
        },
      );
    }
  }
  // Quiet hours only matter for a message consent allows; the halt rule stops the engine before them.
  add('halt', PRIORITY.halt, { all: [fact('consentSuppressed', 'equal', true)] }, 'halt', {
    rule: 'halt',
    stage: 'consent',
    template: '',
    title: 'the rules above suppressed the message, so timing rules are not evaluated',
  });
  rs.model.caps.forEach((cap, capIndex) => {
    add(cap.id, PRIORITY.caps, capConditions(cap), cap.over, {
      rule: cap.id,
      stage: 'timing',
      template: '',
      title: `at most ${cap.limit} per ${cap.windowHours} hours (${cap.file}); over it: ${cap.over}`,
      capIndex,
    });
  });
  rs.model.windows.forEach((w, windowIndex) => {
    const window = {
      region: w.region,
      channel: w.channel,
      from: w.from,
      until: w.until,
      fromMinutes: w.fromMinutes,
      untilMinutes: w.untilMinutes,
    };
    // A state's window applies to its states; the region's own window to every other state and to none.
    const others = rs.model.windows
      .filter((x) => x.region === w.region && x.channel === w.channel && x !== w)
      .flatMap((x) => x.subdivisions);
    const where = [
      first('region', 'equal', w.region),
      first('channel', 'equal', w.channel),
      first('kind', 'equal', 'marketing'),
      ...(w.subdivisions.length > 0
        ? [fact('subdivision', 'in', [...w.subdivisions])]
        : others.length > 0
          ? [fact('subdivision', 'notIn', others)]
          : []),
    ];
    const states = w.subdivisions.length > 0 ? ` for ${w.subdivisions.join(', ')}` : '';
    add(
      `${RULE_IDS.timezone} (${w.region} ${w.channel}${states})`,
      PRIORITY.timing,
      { all: [...where, fact('timezoneValid', 'equal', false)] },
      'suppress',
      {
        rule: RULE_IDS.timezone,
        stage: 'timing',
        template: TEMPLATES.timezoneMissing,
        title: `marketing ${w.channel} in region ${w.region}${states} needs the contact's time zone (${w.file})`,
        window,
        windowIndex,
      },
    );
    add(
      `${RULE_IDS.quietHours(w.region)}${states ? `:${w.subdivisions.join(',')}` : ''} (${w.channel})`,
      PRIORITY.timing,
      { all: [...where, fact('timezoneValid', 'equal', true), outside(w)] },
      'defer',
      {
        rule: RULE_IDS.quietHours(w.region),
        stage: 'timing',
        template: w.varies ? TEMPLATES.quietHoursDay : TEMPLATES.quietHours,
        title: `marketing ${w.channel} in region ${w.region}${states} goes out between ${w.from} and ${w.until} local time${dayNames(w)} (${w.file})`,
        window,
        windowIndex,
      },
    );
  });
  return rules;
}
