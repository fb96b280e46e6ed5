// One benchmark worker process: the production worker runtime (worker/runtime.ts) configured from the
// environment like `consentflow worker` (TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE, DATABASE_URL, SMTP_URL,
// SMS_API_URL), plus the bare baseline's workflow and activity. bench/servers.ts starts two of them per server.
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../client/config';
import { startWorkerRuntime } from '../worker/runtime';

// bench/servers.ts waits for this line.
const READY_LINE = 'bench worker polling';

const runtime = await startWorkerRuntime(loadSettings(), {
  bench: {
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    activities: { noop: () => Promise.resolve() },
  },
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${READY_LINE} ${runtime.taskQueue} at ${runtime.address}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void runtime.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
runtime.done.catch((err: unknown) => {
  process.stderr.write(`bench worker stopped: ${(err as Error).message}\n`);
  process.exit(1);
});
