// The worker's concurrency and time budget in one place, because the numbers only work together:
//
// - Every activity holds at most one PostgreSQL connection at a time (decideStep for a few milliseconds, deliver
//   for the whole provider call, since it keeps the outbox row locked until the outcome is written). Right before
//   the call deliver also borrows a second connection for one insert that must commit on its own; the margin
//   serves those, and since they wait on no lock they go through one after another even when every slot is busy.
//   A slot without a connection waits for one, and past the pool's acquire timeout fails, so the pool must cover
//   every slot that can run at once: regular activities + local activities + a margin.
// - A provider call ends within TRANSPORT_TOTAL_TIMEOUT_MS (one deadline for the whole send). deliver's
//   start-to-close must exceed it plus the database work around it, or Temporal starts a retry while the first
//   attempt is still legitimately waiting for the provider (the retry then waits on the row lock).
// - PostgreSQL's default max_connections is 100: two workers at POOL_MAX plus the CLI and an admin stay below it.
import { TRANSPORT_TOTAL_TIMEOUT_MS } from '../activities/transports/types';

/** deliver (and the other regular activities) at once; each may hold a connection for a whole provider call. */
export const MAX_CONCURRENT_ACTIVITIES = 20;

/**
 * decideStep runs as a local activity: a few milliseconds of rule evaluation and PostgreSQL, so ten at once
 * decide thousands of steps a second. The SDK's default (100) would outnumber the pool.
 */
export const MAX_CONCURRENT_LOCAL_ACTIVITIES = 10;

/** Connections for the worker's own queries beside the activities (start-up checks, rule-set bookkeeping). */
export const POOL_MARGIN = 5;

/** The worker's PostgreSQL pool: one connection per slot that can run at once, plus the margin. */
export const POOL_MAX = MAX_CONCURRENT_ACTIVITIES + MAX_CONCURRENT_LOCAL_ACTIVITIES + POOL_MARGIN;

/** The database work deliver does around the provider call: read, count the attempt, lock, record the outcome. */
export const DELIVER_DATABASE_BUDGET_MS = 5_000;

/** What deliver's start-to-close timeout should be (workflows/send-step.ts sets it). */
export const DELIVER_START_TO_CLOSE_MS = TRANSPORT_TOTAL_TIMEOUT_MS + DELIVER_DATABASE_BUDGET_MS;

/** How long a worker keeps retrying an unreachable Temporal at start (CONSENTFLOW_TEMPORAL_WAIT_SECONDS). */
export const TEMPORAL_CONNECT_WAIT_MS = 60_000;
