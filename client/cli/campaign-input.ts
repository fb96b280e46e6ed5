// What `campaigns start` and `schedules create` read from the command line, checked before anything starts: the
// segment file, the message JSON (with its template), the campaign name and the pace. Each problem is one line
// saying what, where and how to fix it (exit 2).
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { CAMPAIGN_DEFAULTS, CAMPAIGN_LIMITS, CampaignMessage } from '../../contracts/campaign';
import { createTemplateSource } from '../../activities/templates';
import { parseSegment } from '../../segments/segment';
import { jsonSyntaxError } from '../json-locate';
import { CAMPAIGN_NAME } from '../campaigns';
import { CliError, numberOption } from './errors';

const MESSAGE_EXAMPLE = `--message '{"channel":"email","type":"campaign","template":"campaign-email"}'`;

export function checkName(name: string, what = 'campaign name'): string {
  if (!CAMPAIGN_NAME.test(name))
    throw new CliError(
      `${what} "${name}" may use letters, digits and _ . : - (1 to 64 characters); e.g. spring-sale`,
      2,
    );
  return name;
}

export function readSegmentFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      `--segment ${file}: cannot read the file (${code ?? 'error'}); give a segment JSON file.`,
      2,
    );
  }
  try {
    return parseSegment(text, file);
  } catch (err) {
    throw new CliError(`--segment ${file}: ${(err as Error).message}`, 2);
  }
}

export function parseMessage(text: string): CampaignMessage {
  const syntax = jsonSyntaxError(text);
  if (syntax)
    throw new CliError(
      `--message is not valid JSON (column ${syntax.column}: ${syntax.found}); e.g. ${MESSAGE_EXAMPLE}`,
      2,
    );
  const value = JSON.parse(text) as unknown;
  const problem = Value.Errors(CampaignMessage, value).First();
  if (problem)
    throw new CliError(
      `--message${problem.path || ''}: ${problem.message}${problem.path ? '' : ' (an object with channel, type and template)'}; e.g. ${MESSAGE_EXAMPLE}`,
      2,
    );
  const message = value as CampaignMessage;
  let template;
  try {
    template = createTemplateSource().get(message.template);
  } catch (err) {
    throw new CliError(`--message template "${message.template}": ${(err as Error).message}`, 2);
  }
  if (template.channel !== message.channel)
    throw new CliError(
      `--message template "${message.template}" is a ${template.channel} template, the message is ${message.channel}; name a ${message.channel} template.`,
      2,
    );
  return message;
}

export function parseInstant(flag: string, raw: string): string {
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(ms))
    throw new CliError(`${flag} "${raw}" is not an ISO instant; e.g. ${flag} 2026-12-02T14:00:00Z`, 2);
  return new Date(ms).toISOString();
}

export const paceOptions = {
  rate: numberOption('--rate', {
    what: 'messages per second for this channel and provider',
    min: 0,
    exclusiveMin: true,
    max: 100_000,
    integer: false,
    example: 1,
  }),
  concurrency: numberOption('--concurrency', {
    what: 'deliveries in flight per range',
    min: 1,
    max: 200,
    example: 10,
  }),
  ranges: numberOption('--ranges', {
    what: 'page ranges (child workflows)',
    min: 1,
    max: CAMPAIGN_LIMITS.ranges,
    example: CAMPAIGN_DEFAULTS.ranges,
  }),
  pageSize: numberOption('--page-size', {
    what: 'contacts per page',
    min: 1,
    max: CAMPAIGN_LIMITS.pageSize,
    example: CAMPAIGN_DEFAULTS.pageSize,
  }),
  localHour: numberOption('--local-hour', { what: "the contact's local hour", min: 0, max: 23, example: 9 }),
};

export interface PaceFlags {
  rate?: number;
  provider?: string;
  concurrency?: number;
  ranges?: number;
  pageSize?: number;
  localHour?: number;
}

/**
 * The pace options of the flags given on a command line (raw strings as commander hands them over), each
 * checked by its own parser; `campaigns start` and `schedules create` share it.
 */
export function paceFromFlags(o: Record<string, string | undefined>) {
  const flags: PaceFlags = {};
  if (o.rate !== undefined) flags.rate = paceOptions.rate(o.rate);
  if (o.provider !== undefined) flags.provider = o.provider;
  if (o.concurrency !== undefined) flags.concurrency = paceOptions.concurrency(o.concurrency);
  if (o.ranges !== undefined) flags.ranges = paceOptions.ranges(o.ranges);
  if (o.pageSize !== undefined) flags.pageSize = paceOptions.pageSize(o.pageSize);
  if (o.localHour !== undefined) flags.localHour = paceOptions.localHour(o.localHour);
  return paceOf(flags);
}

/** The campaign options the pace flags set. */
export function paceOf(o: PaceFlags) {
  if (o.provider !== undefined) checkName(o.provider, '--provider');
  return {
    pace: {
      ...(o.rate !== undefined ? { ratePerSecond: o.rate } : {}),
      ...(o.provider ? { provider: o.provider } : {}),
      ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
    },
    ...(o.ranges !== undefined ? { ranges: o.ranges } : {}),
    ...(o.pageSize !== undefined ? { pageSize: o.pageSize } : {}),
    ...(o.localHour !== undefined ? { localHour: o.localHour } : {}),
  };
}
