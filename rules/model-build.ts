// Merges the checked files into one model and finds what no single-file schema can: references to
// matrices and regions that do not exist, duplicates across files, values a fact can never take.
import type { LoadedFile, RuleProblem } from './load';
import {
  GATE_FACTS,
  type FactCondition,
  type Gate,
  type GateCondition,
  type InnerCondition,
  type MatrixColumn,
  type MatrixFile,
  type RegionsFile,
  type GatesFile,
  type SubscriptionColumnsFile,
} from './rule-file';
import type { Channel, MessageType, SubscriptionStatus } from './model';
import type { MessageTypesModel } from './message-types';
import { suggest } from './problems';
import { looksLikeAddress } from './reasons';
import { buildWindows, type WindowModel } from './windows';
import { buildCaps, type CapModel } from './caps';
import { impliedConsentModel, type ImpliedConsentModel } from './implied-consent';

export interface MatrixModel {
  id: string;
  channel: Channel;
  file: string;
  rows: Map<MessageType, ReadonlySet<MatrixColumn>>;
}
export interface RegionModel {
  id: string;
  file: string;
  countries: string[];
  matrices: Partial<Record<Channel, string>>;
  /** CASL: marketing to non-subscribed contacts only while their implied consent lasts; null: no such rule. */
  impliedConsent: ImpliedConsentModel | null;
}
export interface GateModel extends Gate {
  file: string;
  index: number;
}
export type { WindowModel } from './windows';
export interface RuleModel {
  matrices: Map<string, MatrixModel>;
  regions: RegionModel[];
  otherCountries: string | null;
  missingCountry: string | null;
  gates: GateModel[];
  windows: WindowModel[];
  caps: CapModel[];
  /** Every message type, in the order of the message-types file. */
  messageTypes: readonly MessageType[];
  transactional: ReadonlySet<MessageType>;
  columns: Record<SubscriptionStatus, MatrixColumn>;
}

// The category name is free text: decisions share their reasons across names, so it is not a placeholder.
const GATE_PLACEHOLDERS = new Set(Object.keys(GATE_FACTS).filter((f) => f !== 'category'));

function of<T>(files: LoadedFile[], kind: LoadedFile['kind']): Array<{ name: string; content: T }> {
  return files.filter((f) => f.kind === kind).map((f) => ({ name: f.name, content: f.content as T }));
}

function exactlyOne<T>(
  list: Array<{ name: string; content: T }>,
  kind: string,
  example: string,
  problems: RuleProblem[],
): { name: string; content: T } | undefined {
  if (list.length === 1) return list[0];
  problems.push(
    list.length === 0
      ? {
          file: '(folder)',
          pointer: '',
          message: `no file of kind "${kind}"`,
          hint: `Add one, e.g. ${example} from the default rules.`,
        }
      : {
          file: list[1]!.name,
          pointer: '/kind',
          message: `a second file of kind "${kind}" (the first is ${list[0]!.name})`,
          hint: 'Keep this kind in one file: merge the two.',
        },
  );
  return undefined;
}

function checkGate(
  gate: Gate,
  file: string,
  at: string,
  known: Record<'region' | 'matrix' | 'type', readonly string[]>,
  problems: RuleProblem[],
) {
  const leaf = (c: FactCondition, ptr: string) => {
    const list = c.operator === 'in' || c.operator === 'notIn';
    if (list !== Array.isArray(c.value)) {
      problems.push({
        file,
        pointer: `${ptr}/value`,
        message: `"${c.operator}" ${list ? 'needs a list' : 'needs a single value, not a list'}`,
        hint: list
          ? `Write [${JSON.stringify(c.value)}] or use "equal".`
          : 'Use "in" or "notIn" to test against a list.',
      });
      return;
    }
    if (c.fact === 'category') {
      const values: unknown[] = Array.isArray(c.value) ? c.value : [c.value];
      values.forEach((v, i) => {
        if (v === null || typeof v === 'string') return;
        problems.push({
          file,
          pointer: `${ptr}/value${Array.isArray(c.value) ? `/${i}` : ''}`,
          message: `${JSON.stringify(v)} is never a category`,
          hint: 'Write a category name in quotes, e.g. "promo", or null for messages without a category.',
        });
      });
      return;
    }
    const domain: readonly unknown[] =
      c.fact === 'region' || c.fact === 'matrix' || c.fact === 'type'
        ? [...known[c.fact], null]
        : GATE_FACTS[c.fact];
    const values: unknown[] = Array.isArray(c.value) ? c.value : [c.value];
    values.forEach((v, i) => {
      if (domain.includes(v)) return;
      problems.push({
        file,
        pointer: `${ptr}/value${Array.isArray(c.value) ? `/${i}` : ''}`,
        message: `${JSON.stringify(v)} is never a value of ${c.fact}, so this test can never match it`,
        hint:
          `Use one of ${domain.map((d) => JSON.stringify(d)).join(', ')}.${suggest(v, domain)}` +
          (c.fact === 'categoryState' && v === 'none'
            ? ' "none" was split in two: "no_category" (the message has no category) and "not_mentioned" (the subscription does not mention it).'
            : ''),
      });
    });
  };
  const walk = (c: GateCondition | InnerCondition | FactCondition, ptr: string) => {
    if ('fact' in c) return leaf(c, ptr);
    if ('all' in c) return c.all.forEach((x: InnerCondition, i: number) => walk(x, `${ptr}/all/${i}`));
    if ('any' in c) return c.any.forEach((x: InnerCondition, i: number) => walk(x, `${ptr}/any/${i}`));
    return walk(c.not, `${ptr}/not`);
  };
  walk(gate.when, `${at}/when`);
  if (looksLikeAddress(gate.message)) {
    problems.push({
      file,
      pointer: `${at}/message`,
      message: 'looks like it contains an e-mail address or phone number',
      hint: 'Reasons are stored with every decision; describe the rule in words, without addresses.',
    });
  }
  for (const [, name] of gate.message.matchAll(/\{(\w+)\}/g)) {
    if (!GATE_PLACEHOLDERS.has(name!)) {
      problems.push({
        file,
        pointer: `${at}/message`,
        message: `{${name}} is not a fact the message can show`,
        hint: `Use one of ${[...GATE_PLACEHOLDERS].map((p) => `{${p}}`).join(' ')}.${suggest(name, [...GATE_PLACEHOLDERS])}`,
      });
    }
  }
}

/**
 * `types` is the message-types file read by readMessageTypes (undefined when it is missing or broken, which
 * is reported here).
 */
export function buildModel(
  files: LoadedFile[],
  types: MessageTypesModel | undefined,
  problems: RuleProblem[],
): RuleModel | undefined {
  const matrices = new Map<string, MatrixModel>();
  for (const { name, content } of of<MatrixFile>(files, 'matrix')) {
    const prior = matrices.get(content.id);
    if (prior) {
      problems.push({
        file: name,
        pointer: '/id',
        message: `matrix "${content.id}" is also defined in ${prior.file}`,
        hint: 'Give each matrix its own id.',
      });
      continue;
    }
    const rows = new Map<MessageType, ReadonlySet<MatrixColumn>>();
    content.rows.forEach((row, i) => {
      if (rows.has(row.type)) {
        problems.push({
          file: name,
          pointer: `/rows/${i}/type`,
          message: `"${row.type}" has a second row`,
          hint: 'Keep one row per message type.',
        });
      }
      rows.set(row.type, new Set(row.reaches));
    });
    // A type that follows another uses that type's row here, unless this matrix has a row of its own for it.
    for (const [type, followed] of types?.follows ?? []) {
      const row = rows.get(followed);
      if (!rows.has(type) && row) rows.set(type, row);
    }
    matrices.set(content.id, { id: content.id, channel: content.channel, file: name, rows });
  }

  const regions: RegionModel[] = [];
  const countryOwner = new Map<string, string>();
  const regionFiles = of<RegionsFile>(files, 'regions');
  if (regionFiles.length === 0) {
    problems.push({
      file: '(folder)',
      pointer: '',
      message: 'no file of kind "regions"',
      hint: 'Add regions.json from the default rules.',
    });
  }
  for (const { name, content } of regionFiles) {
    content.regions.forEach((r, i) => {
      const at = `/regions/${i}`;
      if (regions.some((x) => x.id === r.id)) {
        problems.push({
          file: name,
          pointer: `${at}/id`,
          message: `region "${r.id}" is defined twice`,
          hint: 'Give each region its own id.',
        });
      }
      r.countries.forEach((c, j) => {
        const owner = countryOwner.get(c);
        if (owner)
          problems.push({
            file: name,
            pointer: `${at}/countries/${j}`,
            message: `${c} is already in region "${owner}"`,
            hint: 'A country belongs to one region.',
          });
        countryOwner.set(c, r.id);
      });
      for (const [channel, id] of Object.entries(r.matrices) as Array<[Channel, string]>) {
        const m = matrices.get(id);
        if (!m) {
          problems.push({
            file: name,
            pointer: `${at}/matrices/${channel}`,
            message: `matrix "${id}" does not exist`,
            hint: `Use the id of a matrix file: ${[...matrices.keys()].join(', ')}.${suggest(id, [...matrices.keys()])}`,
          });
        } else if (m.channel !== channel) {
          problems.push({
            file: name,
            pointer: `${at}/matrices/${channel}`,
            message: `matrix "${id}" is for ${m.channel}, not ${channel}`,
            hint: `Name a ${channel} matrix here.`,
          });
        }
      }
      regions.push({
        id: r.id,
        file: name,
        countries: r.countries,
        matrices: r.matrices,
        impliedConsent: r.impliedConsent
          ? impliedConsentModel(r.impliedConsent, r.id, name, `${at}/impliedConsent`)
          : null,
      });
    });
  }
  const regionIds = regions.map((r) => r.id);
  const fallback = (key: 'otherCountries' | 'missingCountry'): string | null => {
    const setters = regionFiles.filter((f) => f.content[key] !== undefined);
    if (setters.length > 1)
      problems.push({
        file: setters[1]!.name,
        pointer: `/${key}`,
        message: `"${key}" is also set in ${setters[0]!.name}`,
        hint: 'Set it in one file only.',
      });
    const value = setters[0]?.content[key];
    if (value !== undefined && !regionIds.includes(value)) {
      problems.push({
        file: setters[0]!.name,
        pointer: `/${key}`,
        message: `region "${value}" does not exist`,
        hint: `Use one of ${regionIds.join(', ')}.${suggest(value, regionIds)}`,
      });
    }
    return value ?? null;
  };

  const gates: GateModel[] = [];
  for (const { name, content } of of<GatesFile>(files, 'gates')) {
    content.gates.forEach((g, i) => {
      const prior = gates.find((x) => x.id === g.id);
      if (prior)
        problems.push({
          file: name,
          pointer: `/gates/${i}/id`,
          message: `gate "${g.id}" is also defined in ${prior.file}`,
          hint: 'Give each gate its own id.',
        });
      checkGate(
        g,
        name,
        `/gates/${i}`,
        { region: regionIds, matrix: [...matrices.keys()], type: types?.types ?? [] },
        problems,
      );
      gates.push({ ...g, file: name, index: i });
    });
  }

  const windows = buildWindows(files, regionIds, problems);
  const caps = buildCaps(files, { regions: regionIds, types: types?.types ?? [] }, problems);

  exactlyOne(of(files, 'message-types'), 'message-types', 'message-types.json', problems);
  const columns = exactlyOne(
    of<SubscriptionColumnsFile>(files, 'subscription-columns'),
    'subscription-columns',
    'subscription-columns.json',
    problems,
  );
  const otherCountries = fallback('otherCountries');
  const missingCountry = fallback('missingCountry');
  if (!types || !columns) return undefined;
  return {
    matrices,
    regions,
    otherCountries,
    missingCountry,
    gates,
    windows,
    caps,
    messageTypes: types.types,
    transactional: types.transactional,
    columns: columns.content.columns,
  };
}
