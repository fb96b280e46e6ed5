// The bits of the Temporal activity context the activities use, tolerant of being called outside one (the
// demo and some tests call them directly).
import { Context } from '@temporalio/activity';

export interface ActivityLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

function current(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

const outsideActivity: ActivityLogger = {
  info: () => undefined,
  warn: (message, meta) => console.warn(`[consentflow] ${message}`, meta ?? ''),
};

/** The Temporal activity logger when running in an activity (it adds workflow and activity ids). */
export function activityLogger(): ActivityLogger {
  return current()?.log ?? outsideActivity;
}

/** 1 for the first attempt; undefined outside an activity. */
export function attemptNumber(): number | undefined {
  return current()?.info.attempt;
}

/** Tells Temporal this attempt is alive (a dead worker's attempt is retried after the heartbeat timeout). */
export function heartbeat(details?: unknown): void {
  current()?.heartbeat(details);
}

/** Aborted when Temporal cancels this attempt (workflow cancelled, heartbeat or start-to-close timeout). */
export function cancellationSignal(): AbortSignal | undefined {
  return current()?.cancellationSignal;
}
