// The run's one table (text and markdown), its JSON, and the PASS/FAIL target lines that set the exit code.
import type { CheckResult } from './checks';

export interface RunSummary {
  command: string;
  seed: number;
  minutes: number;
  workers: number;
  startedAt: string;
  faultWindowSeconds: number;
  settleSeconds: number;
  settledCleanly: boolean;
  faults: Record<string, number>;
  faultsTotal: number;
  pgConnectionsTerminated: number;
  failedInjections: number;
  workflows: {
    startedByHarness: number;
    onTaskQueue: number;
    completed: number;
    failed: number;
    running: number;
    other: number;
    byStatus: Record<string, number>;
  };
  workload: Record<string, number>;
  withdrawals: number;
  messages: {
    decidedSend: number;
    receivedKeys: number;
    receivedCopies: number;
    unkeyedCopies: number;
    lost: number;
    unsettled: number;
    duplicated: number;
    duplicatedByCause: Record<string, number>;
    duplicatesWithDifferentHeaders: number;
    headerMismatches: number;
    deliveredDespiteSuppression: number;
    deliveredAfterWithdrawal: number;
    /** Steps recorded `unconfirmed`: an unanswered call, then no further attempt (docs/delivery.md). */
    unconfirmed?: number;
  };
  schema: { stepOutcomes: boolean; deliveryAttempts?: Record<string, number> };
  workerExitsNotByHarness: number;
  workerExits: { worker: number; code: number | null; signal: string | null; at: string; logTail: string }[];
  findings: Pick<
    CheckResult,
    'lost' | 'unsettled' | 'despiteSuppression' | 'afterWithdrawal' | 'headerMismatches'
  > & {
    duplicates: CheckResult['duplicates'];
  };
  targets: TargetLine[];
}

export interface TargetLine {
  name: string;
  pass: boolean;
  value: string;
}

export type Profile = 'full' | 'ci';

/**
 * Full profile: the target (>= min faults, 0 lost, 0 delivered despite suppression or after withdrawal,
 * 0 failed workflows, 0 worker exits of their own, duplicates only accepted-then-dropped with one header).
 * CI profile: only the lines a short run can hold every time (loss, suppression, withdrawal, unexplained dups).
 */
export function targetLines(
  s: Omit<RunSummary, 'targets'>,
  profile: Profile,
  minFaults: number,
): TargetLine[] {
  const m = s.messages;
  const line = (name: string, pass: boolean, value: string | number): TargetLine => ({
    name,
    pass,
    value: String(value),
  });
  const lines = [
    line('0 lost messages', m.lost === 0, m.lost),
    line(
      '0 delivered despite suppression',
      m.deliveredDespiteSuppression === 0,
      m.deliveredDespiteSuppression,
    ),
    line('0 delivered after consent withdrawn', m.deliveredAfterWithdrawal === 0, m.deliveredAfterWithdrawal),
    line(
      '0 unexplained duplicates',
      (m.duplicatedByCause.unexplained ?? 0) === 0,
      m.duplicatedByCause.unexplained ?? 0,
    ),
  ];
  // A run in which nothing reached a sink would pass every zero-count line without proving anything.
  lines.push(line('the run delivered messages (>= 1 copy received)', m.receivedCopies > 0, m.receivedCopies));
  if (profile === 'ci') return lines;
  return [
    line(`>= ${minFaults} faults injected`, s.faultsTotal >= minFaults, s.faultsTotal),
    ...lines,
    line(
      'duplicates carry one Message-ID / idempotency header',
      m.duplicatesWithDifferentHeaders === 0 && m.headerMismatches === 0,
      m.duplicatesWithDifferentHeaders + m.headerMismatches,
    ),
    line('0 failed workflows', s.workflows.failed === 0, s.workflows.failed),
    line(
      '0 worker exits not caused by the harness',
      s.workerExitsNotByHarness === 0,
      s.workerExitsNotByHarness,
    ),
  ];
}

function rows(s: RunSummary): [string, string][] {
  const m = s.messages;
  const w = s.workflows;
  const out: [string, string][] = [];
  const faultKinds = Object.entries(s.faults).sort(([a], [b]) => a.localeCompare(b));
  for (const [kind, n] of faultKinds) out.push([`faults: ${kind}`, String(n)]);
  out.push(['faults: total', String(s.faultsTotal)]);
  out.push(['workflows started (harness / on task queue)', `${w.startedByHarness} / ${w.onTaskQueue}`]);
  out.push(['workflows completed', String(w.completed)]);
  out.push(['workflows failed', String(w.failed)]);
  out.push(['workflows still running', String(w.running)]);
  if (w.other) out.push(['workflows terminated / timed out / other', String(w.other)]);
  out.push(['consent withdrawals committed', String(s.withdrawals)]);
  out.push(['messages decided send', String(m.decidedSend)]);
  out.push(['messages received (keys / copies)', `${m.receivedKeys} / ${m.receivedCopies}`]);
  out.push(['messages lost', String(m.lost)]);
  out.push(['send decided, still unsettled (workflow running)', String(m.unsettled)]);
  out.push(['messages duplicated (extra copies)', String(m.duplicated)]);
  for (const [cause, n] of Object.entries(m.duplicatedByCause))
    out.push([`  duplicated: ${cause}`, String(n)]);
  if (m.unconfirmed !== undefined)
    out.push(['recorded unconfirmed (unanswered call, no retry)', String(m.unconfirmed)]);
  for (const [result, n] of Object.entries(s.schema.deliveryAttempts ?? {}).sort(([a], [b]) =>
    a.localeCompare(b),
  ))
    out.push([`  provider calls: ${result}`, String(n)]);
  out.push(['delivered despite suppression', String(m.deliveredDespiteSuppression)]);
  out.push(['delivered after consent withdrawn', String(m.deliveredAfterWithdrawal)]);
  if (m.unkeyedCopies) out.push(['copies without an idempotency key', String(m.unkeyedCopies)]);
  out.push(['worker exits not caused by the harness', String(s.workerExitsNotByHarness)]);
  return out;
}

export function renderText(s: RunSummary): string {
  const r = rows(s);
  const width = Math.max(...r.map(([k]) => k.length));
  const head = `chaos run: seed ${s.seed}, ${s.minutes} min fault window, ${s.workers} worker(s), settle ${s.settleSeconds}s${
    s.settledCleanly ? '' : ' (settle bound reached)'
  }; step_outcomes ${s.schema.stepOutcomes ? 'used' : 'absent (outbox + decision_log)'}`;
  const body = r.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  const targets = s.targets.map((t) => `${t.pass ? 'PASS' : 'FAIL'}  ${t.name} (${t.value})`);
  // Why a worker died on its own, in the printed report: the state folder (its full log) is gone after a CI run.
  const exits = s.workerExits.map(
    (e) =>
      `worker ${e.worker} exited on its own at ${e.at} (code ${e.code}, signal ${e.signal}); its log ended:\n` +
      e.logTail
        .trimEnd()
        .split('\n')
        .map((l) => `  | ${l}`)
        .join('\n'),
  );
  return [head, '-'.repeat(width + 10), ...body, '-'.repeat(width + 10), ...targets, ...exits].join('\n');
}

export function renderMarkdown(s: RunSummary): string {
  return [
    `# Chaos run (seed ${s.seed}, ${s.minutes} min, ${s.workers} workers)`,
    '',
    `Command: \`${s.command}\`  `,
    `Started ${s.startedAt}; settle ${s.settleSeconds}s${s.settledCleanly ? '' : ' (bound reached)'}.`,
    '',
    '| what | count |',
    '| --- | ---: |',
    ...rows(s).map(([k, v]) => `| ${k.trim()} | ${v} |`),
    '',
    '| target | result | value |',
    '| --- | --- | ---: |',
    ...s.targets.map((t) => `| ${t.name} | ${t.pass ? 'PASS' : 'FAIL'} | ${t.value} |`),
    '',
  ].join('\n');
}
