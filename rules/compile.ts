// The fast path: every fact a gate or matrix can read has a small finite set of values, so the whole rule
// set is a function over a finite space. We index that space densely and fill each cell on first use with
// the outcome of the gates (compiled to closures) and the matrices (compiled to sets).
import { CHANNELS, GLOBAL_STATUSES, SUBSCRIPTION_STATUSES, type DecisionReason } from './model';
import type { FactCondition, GateCondition, InnerCondition } from './rule-file';
import type { RuleModel, WindowModel } from './model-build';
import { capLimits, type CapModel } from './caps';
import { RULE_IDS, TEMPLATES, fill, type FactValues } from './reasons';
import type { RuleSet } from './load';
import { IMPLIED_CONSENT_COLUMN, type ImpliedConsentModel } from './implied-consent';

export type Test = (facts: FactValues) => boolean;

/** json-rules-engine semantics for the operators gates may use (equal is ===, in is indexOf). */
export function compileCondition(c: GateCondition | InnerCondition | FactCondition): Test {
  if ('all' in c) {
    const parts = c.all.map(compileCondition);
    return (f) => parts.every((p) => p(f));
  }
  if ('any' in c) {
    const parts = c.any.map(compileCondition);
    return (f) => parts.some((p) => p(f));
  }
  if ('not' in c) {
    const inner = compileCondition(c.not);
    return (f) => !inner(f);
  }
  const { fact, operator, value } = c;
  switch (operator) {
    case 'equal':
      return (f) => f[fact] === value;
    case 'notEqual':
      return (f) => f[fact] !== value;
    case 'in':
      return (f) => (value as unknown[]).indexOf(f[fact]) > -1;
    case 'notIn':
      return (f) => (value as unknown[]).indexOf(f[fact]) === -1;
  }
}

export interface Outcome {
  /** Reasons to suppress, in rule order; empty when consent allows the message. */
  readonly suppress: readonly DecisionReason[];
  readonly allow: DecisionReason | null;
  /**
   * The region's implied-consent rule when it governs this cell (marketing to a non-subscribed column): the
   * message may go only while the contact's implied consent is valid on the day of the message.
   */
  readonly implied: ImpliedConsentModel | null;
}

const SUB_STATES = [...SUBSCRIPTION_STATUSES, 'none'] as const;
// States of a message that has a category; a message without one has the single state no_category.
const NAMED_STATES = ['subscribed', 'unsubscribed', 'not_mentioned'] as const;
/** Stands for every category name no gate mentions: all of them compare alike, unequal to every literal. */
const OTHER_CATEGORY = '\u0000other category';

/** The category names gates compare with: each gets cells of its own, every other name shares one. */
function categoryNames(model: RuleModel): string[] {
  const names = new Set<string>();
  const walk = (c: GateCondition | InnerCondition | FactCondition) => {
    if ('all' in c) c.all.forEach(walk);
    else if ('any' in c) c.any.forEach(walk);
    else if ('not' in c) walk(c.not);
    else if (c.fact === 'category')
      for (const v of Array.isArray(c.value) ? c.value : [c.value]) if (typeof v === 'string') names.add(v);
  };
  model.gates.forEach((g) => walk(g.when));
  return [...names].sort();
}
const indexOf = (values: readonly string[]): Index => {
  const index = Object.create(null) as Record<string, number>;
  values.forEach((v, i) => (index[v] = i));
  return index;
};

/** A string-keyed index with no prototype, so any input string is a plain miss (never `toString`). */
export type Index = Readonly<Record<string, number | undefined>>;

export interface CompiledRules {
  readonly hash: string;
  readonly model: RuleModel;
  readonly type: Index;
  readonly globalStatus: Index;
  /** Subscription status index; `none` is not a status a subscription may carry, so it is left out. */
  readonly subscriptionStatus: Index;
  readonly typeCount: number;
  /** Quiet-hours windows per `(region * channels + channel) * types + type`; undefined when none applies. */
  readonly marketingWindow: Array<WindowChoice | undefined>;
  /** The caps that may limit a message, per `(region * channels + channel) * types + type` (category aside). */
  readonly capsFor: ReadonlyArray<readonly CapModel[]>;
  /** Cells per (subscription status) step: the category cells. */
  readonly stride: number;
  readonly noSubscription: number;
  /** The category cell of a subscription's categories (undefined: no subscription) for a message category. */
  categoryIndex(
    categories: Readonly<Record<string, string>> | null | undefined,
    category: string | undefined,
  ): number;
  /**
   * Start of the cells of one (channel, type, region, global status, active, blacklisted) combination;
   * the cell of subscription status `s` and category cell `c` is `block + s * stride + c`.
   * Category cell 0 is "no category"; then, per category name gates mention (and one for all others),
   * one cell per NAMED_STATES.
   */
  block(ch: number, t: number, r: number, g: number, inactive: number, bl: number): number;
  /** The outcome of one cell, computed on first use. */
  outcome(cell: number): Outcome;
  /** Number of cells: every combination of facts the rules can see. */
  readonly size: number;
  /** The facts of one cell (a category no gate names is shown as a placeholder that equals no name). */
  factsAt(cell: number): FactValues;
  /** Region index of a contact's country (the region count when the rules have none for it). */
  regionIndexOf(country: string | null | undefined): number;
  timezoneReason(window: WindowModel): DecisionReason;
}

/** The windows of one region and channel: one for everywhere (federal), and per state where some have their own. */
export interface WindowChoice {
  readonly federal: WindowModel | undefined;
  /** null when no window of the region and channel names a state. */
  readonly byState: Readonly<Record<string, WindowModel | undefined>> | null;
}

export function compileRules(rs: RuleSet): CompiledRules {
  const model = rs.model;
  const types = model.messageTypes;
  const regionIds = model.regions.map((r) => r.id);
  const gates = model.gates.map((g) => ({ id: g.id, message: g.message, test: compileCondition(g.when) }));
  const names = categoryNames(model);
  const nameIndex = indexOf(names);
  const categoryCells = 1 + (names.length + 1) * NAMED_STATES.length;
  const dims = [
    CHANNELS.length,
    types.length,
    regionIds.length + 1,
    GLOBAL_STATUSES.length,
    2,
    2,
    SUB_STATES.length,
    categoryCells,
  ];
  const size = dims.reduce((a, b) => a * b, 1);
  const cells = new Int32Array(size).fill(-1);
  const outcomes: Outcome[] = [];
  const interned = new Map<string, number>();

  const evaluate = (f: FactValues): Outcome => {
    const suppress: DecisionReason[] = [];
    if (f.region === null)
      suppress.push({ rule: RULE_IDS.regionUnknown, message: fill(TEMPLATES.regionUnknown, f) });
    else if (f.matrix === null)
      suppress.push({ rule: RULE_IDS.regionNoMatrix, message: fill(TEMPLATES.regionNoMatrix, f) });
    for (const g of gates) if (g.test(f)) suppress.push({ rule: g.id, message: fill(g.message, f) });
    if (f.subscriptionStatus === 'none')
      suppress.push({ rule: RULE_IDS.subscriptionNone, message: fill(TEMPLATES.subscriptionNone, f) });
    let allow: DecisionReason | null = null;
    if (f.matrix !== null && f.subscriptionStatus !== 'none') {
      const rule = RULE_IDS.matrix(f.matrix);
      const row = model.matrices.get(f.matrix)!.rows.get(f.type);
      if (!row) suppress.push({ rule, message: fill(TEMPLATES.matrixNotListed, f) });
      else if (!row.has(f.column as never)) suppress.push({ rule, message: fill(TEMPLATES.matrixDenies, f) });
      else allow = { rule, message: fill(TEMPLATES.matrixAllows, f) };
    }
    const implied =
      f.kind === 'marketing' && f.column === IMPLIED_CONSENT_COLUMN && f.region !== null
        ? (model.regions.find((r) => r.id === f.region)!.impliedConsent ?? null)
        : null;
    return {
      suppress: Object.freeze(suppress.map((r) => Object.freeze(r))),
      allow: allow && Object.freeze(allow),
      implied,
    };
  };

  const block = (ch: number, t: number, r: number, g: number, inactive: number, bl: number) =>
    (((((ch * dims[1]! + t) * dims[2]! + r) * dims[3]! + g) * 2 + inactive) * 2 + bl) * dims[6]! * dims[7]!;

  const factsAt = (i: number): FactValues => {
    const [ch, t, r, g, inactive, bl, s, c] = decode(i, dims) as Coordinates;
    const channel = CHANNELS[ch]!;
    const type = types[t]!;
    const region = regionIds[r] ?? null;
    const subscriptionStatus = SUB_STATES[s]!;
    return {
      channel,
      type,
      kind: model.transactional.has(type) ? 'transactional' : 'marketing',
      region,
      matrix: (region !== null && model.regions[r]!.matrices[channel]) || null,
      globalStatus: GLOBAL_STATUSES[g]!,
      active: inactive === 0,
      blacklisted: bl === 1,
      subscriptionStatus,
      column: subscriptionStatus === 'none' ? 'none' : model.columns[subscriptionStatus],
      categoryState: c === 0 ? 'no_category' : NAMED_STATES[(c - 1) % NAMED_STATES.length]!,
      category: c === 0 ? null : (names[Math.floor((c - 1) / NAMED_STATES.length)] ?? OTHER_CATEGORY),
    };
  };

  const fillCell = (i: number) => {
    const outcome = evaluate(factsAt(i));
    const key = JSON.stringify(outcome);
    const o = interned.get(key) ?? outcomes.push(outcome) - 1;
    interned.set(key, o);
    cells[i] = o;
    return outcome;
  };
  const outcome = (i: number): Outcome => {
    const o = cells[i]!;
    return o < 0 ? fillCell(i) : outcomes[o]!;
  };

  const choices: Array<WindowChoice | undefined> = [];
  model.regions.forEach((region, r) =>
    CHANNELS.forEach((channel, ch) => {
      const here = model.windows.filter((w) => w.region === region.id && w.channel === channel);
      if (here.length === 0) return;
      const states = here.filter((w) => w.subdivisions.length > 0);
      let byState: Record<string, WindowModel> | null = null;
      if (states.length > 0) {
        byState = Object.create(null) as Record<string, WindowModel>;
        for (const w of states) for (const code of w.subdivisions) byState[code] = w;
      }
      choices[r * CHANNELS.length + ch] = {
        federal: here.find((w) => w.subdivisions.length === 0),
        byState,
      };
    }),
  );
  const perCell = <T>(
    f: (region: string, channel: (typeof CHANNELS)[number], type: string, r: number, ch: number) => T,
  ) =>
    model.regions.flatMap((region, r) =>
      CHANNELS.flatMap((channel, ch) => types.map((type) => f(region.id, channel, type, r, ch))),
    );

  const regionIndex = indexOf(regionIds);
  const byCountry = Object.create(null) as Record<string, number | undefined>;
  model.regions.forEach((region, r) => region.countries.forEach((country) => (byCountry[country] = r)));
  const fallback = (id: string | null) => (id === null ? regionIds.length : regionIndex[id]!);
  const other = fallback(model.otherCountries);
  const missing = fallback(model.missingCountry);

  // The reason for a contact without a time zone is fixed per window.
  const timezoneReasons = new Map<WindowModel, DecisionReason>();
  const timezoneReason = (w: WindowModel) => {
    let r = timezoneReasons.get(w);
    if (!r) {
      const words = { channel: w.channel, region: w.region, from: w.from, until: w.until };
      r = Object.freeze({ rule: RULE_IDS.timezone, message: fill(TEMPLATES.timezoneMissing, words) });
      timezoneReasons.set(w, r);
    }
    return r;
  };

  return {
    hash: rs.hash,
    model,
    type: indexOf(types),
    globalStatus: indexOf(GLOBAL_STATUSES),
    subscriptionStatus: indexOf(SUBSCRIPTION_STATUSES),
    typeCount: types.length,
    marketingWindow: perCell((_region, _channel, type, r, ch) =>
      model.transactional.has(type) ? undefined : choices[r * CHANNELS.length + ch],
    ),
    capsFor: perCell((region, channel, type) => {
      const kind = model.transactional.has(type) ? 'transactional' : 'marketing';
      // Category aside: capLimits with the category the cap names (or any, for sameCategory) keeps a cap
      // whose static parts match; the category is checked per message.
      return model.caps.filter((cap) =>
        capLimits(cap, { channel, type, kind, region, category: cap.category ?? 'any' }),
      );
    }),
    stride: categoryCells,
    noSubscription: SUB_STATES.indexOf('none'),
    categoryIndex: (categories, category) => {
      if (category === undefined) return 0;
      const base = 1 + (nameIndex[category] ?? names.length) * NAMED_STATES.length;
      const state = categories ? categories[category] : undefined; // null categories: as absent
      return base + (state === 'subscribed' ? 0 : state === 'unsubscribed' ? 1 : 2);
    },
    block,
    outcome,
    size,
    factsAt,
    regionIndexOf: (country) =>
      country === null || country === undefined || country === '' ? missing : (byCountry[country] ?? other),
    timezoneReason,
  };
}

type Coordinates = [number, number, number, number, number, number, number, number];

/** The coordinates of a dense index, last dimension fastest. */
function decode(i: number, dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length);
  for (let d = dims.length - 1; d >= 0; d--) {
    out[d] = i % dims[d]!;
    i = Math.floor(i / dims[d]!);
  }
  return out;
}
