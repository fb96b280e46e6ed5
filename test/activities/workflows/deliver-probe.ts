// A minimal workflow that runs decideStep then deliver with a production-like retry policy, so the tests can
// watch Temporal itself retry (or not) the delivery activity.
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { ConsentflowActivities, DecideStepInput, DeliveryResult } from '../../../activities';
import { NON_RETRYABLE_ERROR_TYPES } from '../../../activities/errors';

const { decideStep } = proxyActivities<ConsentflowActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '100 ms', maximumAttempts: 3 },
});

const { deliver } = proxyActivities<ConsentflowActivities>({
  startToCloseTimeout: '20 seconds',
  retry: {
    initialInterval: '100 ms',
    backoffCoefficient: 1,
    maximumAttempts: 5,
    nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
  },
});

export interface ProbeResult {
  verdict: string;
  delivery?: DeliveryResult;
  failure?: { type: string | undefined; nonRetryable: boolean | null | undefined; message: string };
}

export async function deliverProbe(input: DecideStepInput): Promise<ProbeResult> {
  const decision = await decideStep(input);
  if (decision.verdict !== 'send' || decision.outcome) return { verdict: decision.verdict };
  try {
    return {
      verdict: decision.verdict,
      delivery: await deliver({ messageKey: decision.messageKey, runId: input.runId }),
    };
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      const cause = err.cause;
      return {
        verdict: decision.verdict,
        failure: { type: cause.type ?? undefined, nonRetryable: cause.nonRetryable, message: cause.message },
      };
    }
    throw err;
  }
}
