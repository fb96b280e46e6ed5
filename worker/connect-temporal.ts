// A worker started a moment before its Temporal server (a deploy, a restart, `docker compose up`) waits for it:
// it retries with backoff for a bounded time, one line per retry, then gives up with one clear error.
import { NativeConnection } from '@temporalio/worker';
import { TemporalUnreachableError } from '../client/temporal';
import { connectionOptions, type TemporalTransport } from '../client/temporal-config';
import { TEMPORAL_CONNECT_WAIT_MS } from './limits';

export interface ConnectOptions {
  address: string;
  /** TLS, mTLS, API key from the Temporal config profile (Settings.temporalTransport). */
  transport?: TemporalTransport | undefined;
  /** Give up after this long (default TEMPORAL_CONNECT_WAIT_MS). 0: one try. */
  waitMs?: number;
  log?: (line: string) => void;
}

/** The wait from CONSENTFLOW_TEMPORAL_WAIT_SECONDS, or a clear error for a value that is not a number. */
export function temporalWaitMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CONSENTFLOW_TEMPORAL_WAIT_SECONDS;
  if (raw === undefined || raw === '') return TEMPORAL_CONNECT_WAIT_MS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new Error(
      `CONSENTFLOW_TEMPORAL_WAIT_SECONDS="${raw}" is not a number of seconds (e.g. 60, or 0 to try once).`,
    );
  }
  return seconds * 1000;
}

export async function connectTemporal(opts: ConnectOptions): Promise<NativeConnection> {
  const waitMs = opts.waitMs ?? TEMPORAL_CONNECT_WAIT_MS;
  const log = opts.log ?? (() => undefined);
  const deadline = Date.now() + waitMs;
  let delay = 1_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await NativeConnection.connect(connectionOptions(opts));
    } catch (err) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new TemporalUnreachableError(opts.address, withWaited(err, waitMs), opts.transport);
      const pause = Math.min(delay, left);
      log(
        `Temporal is not reachable at ${opts.address} (${reason(err)}); retry ${attempt} in ` +
          `${(pause / 1000).toFixed(pause < 1000 ? 1 : 0)} s, giving up ${Math.ceil(left / 1000)} s from now.`,
      );
      await new Promise((r) => setTimeout(r, pause));
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

/** The driver's error in a few words: "Connection refused", not a gRPC transport dump. */
function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  if (/refused/i.test(text)) return 'connection refused';
  if (/dns|resolve|not known/i.test(text)) return 'host not found';
  if (/timed? ?out|deadline/i.test(text)) return 'timed out';
  return text.split('\n')[0]?.slice(0, 120) ?? 'unknown error';
}

function withWaited(err: unknown, waitMs: number): Error {
  const tried = waitMs > 0 ? `, still after ${Math.round(waitMs / 1000)} s of retries` : '';
  return new Error(`${reason(err)}${tried}`);
}
