// Activity options of the campaign workflows. Every activity retries without limit (an outage delays a campaign,
// it never drops one); only a malformed input (a segment the worker cannot read) fails at once.
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { ActivityErrorType } from '../activities/errors';

const RETRY = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  nonRetryableErrorTypes: [ActivityErrorType.InvalidActivityInput],
};

/** Planning and one page: a query and a bulk insert of at most a page of rows. */
export const ENQUEUE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '2 minutes',
  retry: RETRY,
};

/**
 * One page, as a range asks for it since `campaign-page-waits-on-cancel`: a cancelled range waits until the
 * page activity has stopped, so the rows it writes are there before the campaign withdraws its unsent rows.
 */
export const PAGE_OPTIONS: ActivityOptions = {
  ...ENQUEUE_OPTIONS,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/**
 * A delivery batch: bounded by its row count at the rate (deliveryBatchSize). Heartbeats after every row and
 * every second of a rate wait; the short heartbeat timeout lets a killed worker's batch move to another
 * worker within seconds and brings a cancellation (pause, cancel) to the activity within seconds. The
 * workflow waits for the activity to acknowledge it, so "paused" and "cancelled" mean nothing is in flight.
 */
export const DELIVER_BATCH_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '5 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: RETRY,
};

/** Rows per delivery batch: about 30 s of sending at the rate, at least one per pool slot, at most 500. */
export function deliveryBatchSize(ratePerSecond: number, concurrency: number): number {
  return Math.max(concurrency, Math.min(500, Math.ceil(ratePerSecond * 30)));
}

/** Consecutive defers of one campaign row before it is suppressed (as a send step's MAX_DEFERS). */
export const CAMPAIGN_MAX_DEFERS = 5;
