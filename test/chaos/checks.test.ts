// The chaos run's counting rules on synthetic observations: no servers, every rule of docs/chaos.md.
import { describe, expect, it } from 'vitest';
import { checkRun, type CheckInput, type DecisionRow } from '../../chaos/checks';
import type { ReceivedCopy } from '../../chaos/sink-faults';

const T = Date.parse('2026-12-01T12:00:00Z');
let ids = 0;

function decision(key: string, verdict: DecisionRow['verdict'], at: number, over: Partial<DecisionRow> = {}) {
  const [workflowId] = key.split(':');
  return {
    id: String(++ids),
    key,
    workflowId: workflowId!,
    contactId: 'c1',
    channel: 'email' as const,
    messageType: 'welcome',
    verdict,
    decidedAt: at,
    ...over,
  };
}

function copy(key: string | undefined, at: number, over: Partial<ReceivedCopy> = {}): ReceivedCopy {
  return {
    channel: 'email',
    ...(key !== undefined ? { key, messageId: `<${key}@x>`, headerKey: key } : {}),
    to: 'a@x',
    receivedAt: at,
    droppedAfterAccept: false,
    ...over,
  };
}

function input(over: Partial<CheckInput>): CheckInput {
  return {
    copies: [],
    decisions: [],
    outbox: [],
    workflowSteps: [],
    workflowStates: new Map(),
    withdrawals: [],
    harnessFaults: [],
    transactionalTypes: new Set(['order_confirmation']),
    ...over,
  };
}

describe('lost messages', () => {
  it('counts a message the outbox says was sent but no sink received', () => {
    const r = checkRun(
      input({
        decisions: [decision('w1:s1', 'send', T), decision('w1:s2', 'send', T)],
        outbox: [
          { key: 'w1:s1', state: 'sent', decisionId: null },
          { key: 'w1:s2', state: 'sent', decisionId: null },
        ],
        copies: [copy('w1:s2', T + 100)],
        workflowStates: new Map([['w1', 'completed']]),
      }),
    );
    expect(r.lost).toEqual([
      expect.objectContaining({ key: 'w1:s1', reason: 'recorded sent, no sink copy' }),
    ]);
    expect(r.decidedSend).toBe(2);
    expect(r.receivedKeys).toBe(1);
  });

  it('counts a workflow step record that says sent without a copy, even when the outbox row is missing', () => {
    const r = checkRun(
      input({
        workflowSteps: [{ key: 'w1:s1', workflowId: 'w1', verdict: 'send', delivery: 'sent' }],
        decisions: [decision('w1:s1', 'send', T)],
        workflowStates: new Map([['w1', 'completed']]),
      }),
    );
    expect(r.lost.map((f) => f.key)).toEqual(['w1:s1']);
  });

  it('counts a final send decision without a final outcome once the workflow ended, not while it runs', () => {
    const r = checkRun(
      input({
        decisions: [decision('w1:s1', 'send', T), decision('w2:s1', 'send', T), decision('w3:s1', 'send', T)],
        outbox: [
          { key: 'w1:s1', state: 'pending', decisionId: null },
          { key: 'w2:s1', state: 'pending', decisionId: null },
          { key: 'w3:s1', state: 'failed', decisionId: null },
        ],
        workflowStates: new Map([
          ['w1', 'completed'],
          ['w2', 'running'],
          ['w3', 'completed'],
        ]),
      }),
    );
    expect(r.lost.map((f) => f.key)).toEqual(['w1:s1']);
    expect(r.unsettled.map((f) => f.key)).toEqual(['w2:s1']);
  });

  it('does not count a step whose last decision suppressed after an earlier send decision', () => {
    const r = checkRun(
      input({
        decisions: [decision('w1:s1', 'send', T), decision('w1:s1', 'suppress', T + 10)],
        workflowStates: new Map([['w1', 'completed']]),
      }),
    );
    expect(r.lost).toEqual([]);
    expect(r.decidedSend).toBe(0);
  });

  it('uses step_outcomes when present: a deferred outcome is not final, a suppressed one is', () => {
    const r = checkRun(
      input({
        decisions: [decision('w1:s1', 'send', T), decision('w2:s1', 'send', T)],
        outbox: [{ key: 'w1:s1', state: 'failed', decisionId: null }],
        stepOutcomes: [
          { key: 'w1:s1', outcome: 'deferred', decisionId: null },
          { key: 'w2:s1', outcome: 'expired', decisionId: null },
        ],
        workflowStates: new Map([
          ['w1', 'completed'],
          ['w2', 'completed'],
        ]),
      }),
    );
    expect(r.lost.map((f) => f.key)).toEqual(['w1:s1']);
  });

  it('counts step_outcomes sent without a copy as lost', () => {
    const r = checkRun(
      input({
        decisions: [decision('w1:s1', 'send', T)],
        stepOutcomes: [{ key: 'w1:s1', outcome: 'sent', decisionId: null }],
        workflowStates: new Map([['w1', 'completed']]),
      }),
    );
    expect(r.lost[0]).toMatchObject({ key: 'w1:s1', detail: 'step_outcomes' });
  });
});

describe('duplicates', () => {
  it('explains an extra copy when the copy before it was dropped after accepting, or a worker kill or PostgreSQL termination lost the answer between them', () => {
    const r = checkRun(
      input({
        decisions: [decision('w1:s1', 'send', T), decision('w2:s1', 'send', T), decision('w3:s1', 'send', T)],
        copies: [
          copy('w1:s1', T + 300),
          copy('w1:s1', T + 100, { droppedAfterAccept: true }),
          copy('w2:s1', T + 100),
          copy('w2:s1', T + 900),
          copy('w3:s1', T + 1_000),
          copy('w3:s1', T + 1_500),
        ],
        harnessFaults: [
          { kind: 'worker-sigkill', at: T + 500 },
          { kind: 'pg-terminate', at: T + 2_000 },
        ],
      }),
    );
    const byKey = Object.fromEntries(r.duplicates.map((d) => [d.key, d]));
    expect(byKey['w1:s1']).toMatchObject({ cause: 'accepted-then-dropped', faultsBetween: [] });
    expect(byKey['w2:s1']).toMatchObject({
      cause: 'accepted-then-commit-lost',
      faultsBetween: ['worker-sigkill'],
    });
    expect(byKey['w3:s1']).toMatchObject({ cause: 'unexplained', faultsBetween: [] });
    expect(r.receivedCopies).toBe(6);
    expect(r.receivedKeys).toBe(3);
  });

  it('with delivery_attempts, explains a copy only by the call that produced the one before it', () => {
    const attempt = (key: string, at: number, result: string | null, maybeAccepted = false) => ({
      key,
      startedAt: at,
      result,
      maybeAccepted,
    });
    const r = checkRun(
      input({
        decisions: ['w1:s1', 'w2:s1', 'w3:s1', 'w4:s1'].map((k) => decision(k, 'send', T)),
        copies: [
          ...['w1:s1', 'w2:s1', 'w3:s1', 'w4:s1'].map((k) => copy(k, T + 100)),
          ...['w1:s1', 'w2:s1', 'w3:s1', 'w4:s1'].map((k) => copy(k, T + 900)),
        ],
        attempts: [
          // w1: the first call heard nothing back; w2: its answer was never committed.
          attempt('w1:s1', T + 90, 'transient', true),
          attempt('w1:s1', T + 800, 'accepted'),
          attempt('w2:s1', T + 90, null),
          attempt('w2:s1', T + 800, 'accepted'),
          // w3: the first call was recorded accepted, and yet the message went again: a bug.
          attempt('w3:s1', T + 90, 'accepted'),
          attempt('w3:s1', T + 800, 'accepted'),
          // w4: a refusal the provider answered cannot have produced the first copy.
          attempt('w4:s1', T + 90, 'transient', false),
          attempt('w4:s1', T + 800, 'accepted'),
        ],
        // A fault between the copies explains nothing once the calls are known.
        harnessFaults: [{ kind: 'worker-sigkill', at: T + 500 }],
      }),
    );
    const byKey = Object.fromEntries(r.duplicates.map((d) => [d.key, d.cause]));
    expect(byKey).toEqual({
      'w1:s1': 'accepted-then-dropped',
      'w2:s1': 'accepted-then-commit-lost',
      'w3:s1': 'unexplained',
      'w4:s1': 'unexplained',
    });
  });

  it('counts each extra copy: three copies of one key are two duplicates', () => {
    const r = checkRun(
      input({
        decisions: [decision('w1:s1', 'send', T)],
        copies: [
          copy('w1:s1', T + 1, { droppedAfterAccept: true }),
          copy('w1:s1', T + 2),
          copy('w1:s1', T + 3),
        ],
      }),
    );
    expect(r.duplicates.map((d) => d.cause)).toEqual(['accepted-then-dropped', 'unexplained']);
  });

  it('flags copies of one key that carried different Message-IDs or a header that disagrees', () => {
    const r = checkRun(
      input({
        decisions: [decision('w1:s1', 'send', T)],
        copies: [
          copy('w1:s1', T + 1, { droppedAfterAccept: true }),
          copy('w1:s1', T + 2, { messageId: '<w1=3As1@other>', headerKey: 'w9:s9' }),
        ],
      }),
    );
    expect(r.duplicates[0]?.sameHeader).toBe(false);
    expect(r.headerMismatches).toHaveLength(1);
  });
});

describe('delivered despite suppression', () => {
  it('flags a copy whose latest decision before it was not send, or that had no decision at all', () => {
    const r = checkRun(
      input({
        decisions: [
          decision('w1:s1', 'send', T),
          decision('w1:s1', 'suppress', T + 50),
          decision('w2:s1', 'suppress', T),
          decision('w2:s1', 'send', T + 50),
        ],
        copies: [copy('w1:s1', T + 100), copy('w2:s1', T + 100), copy('w3:s1', T + 100)],
      }),
    );
    expect(r.despiteSuppression.map((f) => f.key).sort()).toEqual(['w1:s1', 'w3:s1']);
  });

  it('judges each copy by the decision in force when it arrived', () => {
    const r = checkRun(
      input({
        decisions: [decision('w1:s1', 'send', T), decision('w1:s1', 'suppress', T + 500)],
        copies: [copy('w1:s1', T + 100)],
      }),
    );
    expect(r.despiteSuppression).toEqual([]);
  });

  it('with delivery_attempts, judges a copy by the decision in force when its call started', () => {
    const r = checkRun(
      input({
        // The call started under a send decision; a later question suppressed while the provider took it.
        decisions: [decision('w1:s1', 'send', T), decision('w1:s1', 'suppress', T + 200)],
        attempts: [{ key: 'w1:s1', startedAt: T + 100, result: null, maybeAccepted: false }],
        stepOutcomes: [{ key: 'w1:s1', outcome: 'unconfirmed', decisionId: null }],
        copies: [copy('w1:s1', T + 300)],
      }),
    );
    expect(r.despiteSuppression).toEqual([]);
    expect(r.lost).toEqual([]);
  });

  it('flags a copy of a step whose final outcome is suppressed', () => {
    const r = checkRun(
      input({
        decisions: [decision('w1:s1', 'send', T)],
        stepOutcomes: [{ key: 'w1:s1', outcome: 'suppressed', decisionId: null }],
        copies: [copy('w1:s1', T + 100)],
      }),
    );
    expect(r.despiteSuppression[0]?.reason).toMatch(/suppressed/);
  });
});

describe('delivered after consent withdrawn', () => {
  const withdrawnAt = T + 10_000;
  const base = {
    withdrawals: [{ contactId: 'c1', channel: 'email' as const, committedAt: withdrawnAt }],
  };

  it('flags a copy received past the tolerance whose deciding decision came after the withdrawal', () => {
    const r = checkRun(
      input({
        ...base,
        decisions: [decision('w1:s1', 'send', withdrawnAt + 2_000)],
        copies: [copy('w1:s1', withdrawnAt + 6_000)],
      }),
    );
    expect(r.afterWithdrawal.map((f) => f.key)).toEqual(['w1:s1']);
  });

  it('spares a decision made before the withdrawal, a copy within 5 s, another channel, and transactional mail', () => {
    const r = checkRun(
      input({
        ...base,
        decisions: [
          decision('w1:s1', 'send', withdrawnAt - 100),
          decision('w2:s1', 'send', withdrawnAt + 2_000),
          decision('w3:s1', 'send', withdrawnAt + 2_000, { channel: 'sms' }),
          decision('w4:s1', 'send', withdrawnAt + 2_000, { messageType: 'order_confirmation' }),
          decision('w5:s1', 'send', withdrawnAt + 500),
        ],
        copies: [
          copy('w1:s1', withdrawnAt + 60_000),
          copy('w2:s1', withdrawnAt + 4_000),
          copy('w3:s1', withdrawnAt + 60_000, { channel: 'sms' }),
          copy('w4:s1', withdrawnAt + 60_000),
          copy('w5:s1', withdrawnAt + 60_000),
        ],
      }),
    );
    expect(r.afterWithdrawal).toEqual([]);
  });

  it('takes the deciding decision from the outbox row when it names one', () => {
    const early = decision('w1:s1', 'send', withdrawnAt - 1_000);
    const r = checkRun(
      input({
        ...base,
        // A later send decision for the same step (a re-decided retry) does not move the deciding one.
        decisions: [early, decision('w1:s1', 'send', withdrawnAt + 3_000)],
        outbox: [{ key: 'w1:s1', state: 'sent', decisionId: early.id }],
        copies: [copy('w1:s1', withdrawnAt + 8_000)],
      }),
    );
    expect(r.afterWithdrawal).toEqual([]);
  });
});

it('counts copies without an idempotency key separately', () => {
  const r = checkRun(input({ copies: [copy(undefined, T)] }));
  expect(r.unkeyedCopies).toBe(1);
  expect(r.receivedKeys).toBe(0);
});
