// Running activities outside a worker, as Temporal would call them: attempt 1 and a retry (attempt 2), with the
// SDK's logger quiet (these tests fail activities on purpose), and what an activity or a transport threw.
import { expect } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';

const env = new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });
const retryEnv = new MockActivityEnvironment({ attempt: 2 }, { logger: new DefaultLogger('ERROR') });

/** The activity's first attempt, with its own result type. */
export const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  env.run<A, R, typeof fn>(fn, ...args);

/** A retry attempt (attempt 2) of the same activity. */
export const retry = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  retryEnv.run<A, R, typeof fn>(fn, ...args);

/** What `p` rejected with, checked to be a `type`; fails the test, saying `expected`, when it resolved. */
export async function rejectionOf<E>(
  p: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
  expected: string,
): Promise<E> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(type);
    return err as E;
  }
  throw new Error(expected);
}

/** The ApplicationFailure an activity threw. */
export const failureOf = (p: Promise<unknown>): Promise<ApplicationFailure> =>
  rejectionOf(p, ApplicationFailure, 'expected the activity to fail');
