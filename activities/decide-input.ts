// decideStep's input, checked: a malformed input is a workflow bug, reported as a non-retryable failure that
// the send step records as `failed` (kind internal) instead of failing the automation.
import { MESSAGE_TYPES, type MessageSpec } from '../rules/model';
import { ActivityErrorType, nonRetryable } from './errors';
import type { DecideStepInput } from './decide';

export function checkDecideInput(input: DecideStepInput): {
  at: Date;
  message: MessageSpec;
  template: string;
} {
  const bad = (what: string) =>
    nonRetryable(ActivityErrorType.InvalidActivityInput, `decideStep input is invalid: ${what}.`);
  if (!input || typeof input !== 'object') throw bad('expected an object');
  for (const field of ['workflowId', 'runChain', 'runId', 'step', 'messageKey', 'contactId'] as const) {
    if (typeof input[field] !== 'string' || !input[field]) throw bad(`${field} must be a non-empty string`);
  }
  const m = input.message;
  if (!m || typeof m !== 'object') throw bad('message is missing');
  if (m.channel !== 'email' && m.channel !== 'sms') throw bad(`message.channel must be email or sms`);
  if (!(MESSAGE_TYPES as readonly string[]).includes(m.type)) {
    throw bad(`message.type "${String(m.type).slice(0, 64)}" is not one of ${MESSAGE_TYPES.join(', ')}`);
  }
  if (typeof m.template !== 'string' || !m.template) throw bad('message.template must name a template');
  const at = input.at === undefined ? new Date() : new Date(input.at);
  if (Number.isNaN(at.getTime())) throw bad(`at "${String(input.at).slice(0, 64)}" is not an ISO instant`);
  for (const field of ['round', 'defers', 'maxDefers', 'clockOffsetMs', 'validForMs'] as const) {
    const v = input[field];
    if (v !== undefined && !Number.isSafeInteger(v)) throw bad(`${field} must be an integer`);
  }
  if (input.vars !== undefined) {
    for (const [k, v] of Object.entries(input.vars)) {
      if (!['string', 'number', 'boolean'].includes(typeof v))
        throw bad(`vars.${k} must be a string, number or boolean`);
    }
  }
  const message: MessageSpec = {
    channel: m.channel,
    type: m.type,
    ...(m.resource ? { resource: m.resource } : {}),
    ...(m.category ? { category: m.category } : {}),
  };
  return { at, message, template: m.template };
}
