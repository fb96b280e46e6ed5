// Replays every committed workflow history (test/fixtures/histories) against a workflow bundle: the build runs
// it on the bundle it is about to ship, and the package test on the bundle an installed package holds.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker, type InjectedSinks } from '@temporalio/worker';
import { REPO_ROOT } from '../client/config';

export const HISTORY_FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'histories');

/**
 * The workflow id a fixture's run had, where the code derives ids from it (a campaign names its range children
 * after its own id): replayed under another id, its commands would not match. Others replay as their file name.
 */
export const FIXTURE_WORKFLOW_IDS: Readonly<Record<string, string>> = {
  'campaign.json': 'campaign-hist-done',
  'campaign.cancelled.json': 'campaign-hist-cancel',
};

export interface ReplayReport {
  count: number;
  failures: { file: string; error: string }[];
}

/**
 * `sinks`: what the bundle's interceptors call (the traced bundle's span `exporter`; its spans of a replay
 * are dropped).
 */
export async function replayFixtures(
  bundle: { codePath: string },
  sinks?: InjectedSinks<any>, // eslint-disable-line @typescript-eslint/no-explicit-any
): Promise<ReplayReport> {
  const files = readdirSync(HISTORY_FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort();
  if (files.length === 0) throw new Error(`no history fixtures in ${HISTORY_FIXTURES}`);
  const fileOf = new Map(files.map((file) => [FIXTURE_WORKFLOW_IDS[file] ?? file, file]));
  const histories = files.map((file) => ({
    workflowId: FIXTURE_WORKFLOW_IDS[file] ?? file,
    history: JSON.parse(readFileSync(path.join(HISTORY_FIXTURES, file), 'utf8')) as unknown,
  }));
  const failures: ReplayReport['failures'] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: bundle, ...(sinks ? { sinks } : {}) },
    histories,
  )) {
    if (result.error)
      failures.push({
        file: fileOf.get(result.workflowId) ?? result.workflowId,
        error: describe(result.error),
      });
  }
  return { count: files.length, failures };
}

function describe(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';
}
