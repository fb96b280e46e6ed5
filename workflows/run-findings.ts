// What a run found, kept where an operator looks after the run is gone: the search attributes `Verdicts` and
// `DecidedBy` (keyword lists: every verdict and every deciding rule of the run, so a filter finds a run whose
// email was suppressed even when its SMS went out) and the memo `steps` (each step's final outcome, verdict
// and deciding rule). Ids and rule ids only: never an address.
import { patched, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { StepRecord } from '../contracts/automation-result';
import { DECIDED_BY, LAST_VERDICT, VERDICTS } from '../contracts/search-attributes';
import type { DecisionReason, Verdict } from '../rules/model';
import { decidingRule } from '../contracts/deciding-rule';

/** Runs started before this patch have no per-step memo (its upsert is a command their histories lack). */
export const STEP_MEMO = 'step-memo';

export { decidingRule };

/** One step's entry in the memo `steps`. */
export interface StepFinding {
  outcome: StepRecord['outcome'];
  verdict: Verdict;
  decidedBy: string;
  defers: number;
}

export class RunFindings {
  private readonly verdicts = new Set<string>();
  private readonly rules = new Set<string>();
  private readonly steps: Record<string, StepFinding> = {};

  /** Records carried across continue-as-new keep counting. */
  constructor(carried: readonly StepRecord[] = []) {
    for (const r of carried) {
      for (const d of r.deferrals ?? []) this.note('defer', d.reasons);
      this.note(r.verdict, r.reasons);
      this.steps[r.step] = finding(r);
    }
  }

  private note(verdict: Verdict, reasons: readonly DecisionReason[]): void {
    this.verdicts.add(verdict);
    const rule = decidingRule(reasons);
    if (rule) this.rules.add(rule);
  }

  /**
   * A decision came back. One upsert, where the first version upserted `LastVerdict` alone: the same command,
   * so histories recorded before the keyword lists still replay.
   */
  decided(verdict: Verdict, reasons: readonly DecisionReason[]): void {
    this.note(verdict, reasons);
    upsertSearchAttributes([
      { key: LAST_VERDICT, value: verdict },
      { key: VERDICTS, value: [...this.verdicts] },
      { key: DECIDED_BY, value: [...this.rules] },
    ]);
  }

  /**
   * A step settled (or was deferred): its entry in the memo, and a rule the workflow added to the lists. Kept
   * in memory even while replaying a run from before the patch, so a run that reaches it live upserts all.
   */
  settled(record: StepRecord): void {
    const before = this.rules.size + this.verdicts.size;
    this.note(record.verdict, record.reasons);
    this.steps[record.step] = finding(record);
    if (!patched(STEP_MEMO)) return;
    if (this.rules.size + this.verdicts.size !== before) {
      upsertSearchAttributes([
        { key: VERDICTS, value: [...this.verdicts] },
        { key: DECIDED_BY, value: [...this.rules] },
      ]);
    }
    upsertMemo({ steps: { ...this.steps } });
  }
}

function finding(r: StepRecord): StepFinding {
  return {
    outcome: r.outcome,
    verdict: r.verdict,
    decidedBy: decidingRule(r.reasons) ?? 'none',
    defers: r.defers,
  };
}
