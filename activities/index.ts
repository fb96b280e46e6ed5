// The activities the worker registers, built from their dependencies (Temporal samples style: plain async
// functions closed over a pool, the rule source and the transports). Workflows import only the types:
//   const { decideStep, deliver } = proxyActivities<ConsentflowActivities>({ ... });
import type { RuleSet } from '../rules';
import type { Pool } from '../db/pool';
import type { ActivityLogger } from './context';
import { createDecideStep } from './decide';
import { createDeliver } from './deliver';
import { createEnqueueCampaignPage } from './campaign-enqueue';
import { createDeliverCampaignBatch } from './campaign-deliver';
import { createPlanCampaignRanges } from './campaign-ranges';
import { createWithdrawCancelledCampaign } from './campaign-withdraw';
import { createRecordOutcome } from './record-outcome';
import { createConfirmationCheck } from './double-opt-in';
import { createTemplateSource, type TemplateSource } from './templates';
import type { Transports } from './transports/types';
import type { LinkConfig } from '../contracts/link-config';

export interface ActivityDependencies {
  pool: Pool;
  /** Usually the worker's RuleSource; only `current()` is used, so a rule reload applies to the next decision. */
  rules: { current(): RuleSet };
  transports: Transports;
  /** A template source or a directory of template files; defaults to the repository's templates/. */
  templates?: TemplateSource | string;
  /** Defaults to the Temporal activity logger. */
  log?: ActivityLogger;
  /** How long a delivery attempt waits for a concurrent attempt on the same message; default 30 s. */
  lockTimeoutMs?: number;
  /** Where unsubscribe and preference links point and what signs them; default from the environment. */
  links?: LinkConfig;
}

export function createActivities(deps: ActivityDependencies) {
  const templates =
    typeof deps.templates === 'object' ? deps.templates : createTemplateSource(deps.templates ?? undefined);
  const deliver = createDeliver({
    pool: deps.pool,
    rules: deps.rules,
    transports: deps.transports,
    templates,
    log: deps.log,
    lockTimeoutMs: deps.lockTimeoutMs,
    links: deps.links,
  });
  return {
    decideStep: createDecideStep({ pool: deps.pool, rules: deps.rules, log: deps.log }),
    deliver,
    recordOutcome: createRecordOutcome({ pool: deps.pool }),
    // Campaigns (docs/campaigns.md): their delivery pool sends in groups, with deliver's guarantees in bulk.
    planCampaignRanges: createPlanCampaignRanges({ pool: deps.pool }),
    enqueueCampaignPage: createEnqueueCampaignPage({ pool: deps.pool, rules: deps.rules }),
    deliverCampaignBatch: createDeliverCampaignBatch({
      pool: deps.pool,
      rules: deps.rules,
      transports: deps.transports,
      templates,
      ...(deps.links ? { links: deps.links } : {}),
      ...(deps.lockTimeoutMs !== undefined ? { lockTimeoutMs: deps.lockTimeoutMs } : {}),
      ...(deps.log ? { log: deps.log } : {}),
    }),
    withdrawCancelledCampaign: createWithdrawCancelledCampaign({ pool: deps.pool }),
    isDoubleOptInConfirmed: createConfirmationCheck({ pool: deps.pool }),
  };
}

export type ConsentflowActivities = ReturnType<typeof createActivities>;

export type { DecideStepInput, DecideStepResult } from './decide';
export type { RecordOutcomeInput, RecordOutcomeResult } from './record-outcome';
export type { StepRef } from './outcomes';
export type { DeliverInput, DeliveryResult } from './deliver';
export type { EnqueuePageInput, EnqueuePageResult } from './campaign-enqueue';
export type { DeliverBatchInput, DeliverBatchResult } from './campaign-deliver';
export { ActivityErrorType, NON_RETRYABLE_ERROR_TYPES } from './errors';
export { maskAddress } from './mask';
export type { TemplateVars } from './store';
