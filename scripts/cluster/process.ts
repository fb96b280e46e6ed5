// Processes the cluster script starts in their own process group (the server, its Web UI), and how they stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';

export interface GroupProcess {
  child: ChildProcess;
  pid: number;
  /** Its exit code once it has exited (null: by a signal); undefined while it runs. */
  exited: () => number | null | undefined;
}

/**
 * Starts `binary` as the leader of its own process group, its output appended to `logFile`, so stopping the
 * group takes down everything it started. It dies with this process unless `detach` (`--detach`).
 */
export function spawnGroup(binary: string, args: string[], logFile: string, detach: boolean): GroupProcess {
  const out = openSync(logFile, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', out, out], detached: true });
  const pid = child.pid!;
  const killOnExit = (): void => void signalGroup(pid, 'SIGTERM');
  if (!detach) {
    process.on('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
  } else child.unref();
  let code: number | null | undefined;
  child.once('exit', (c) => (code = c));
  return { child, pid, exited: () => code };
}

/** Sends `signal` to the server's process group (it was started as a group leader). */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(pid: number, graceMs = 20_000): Promise<void> {
  if (!signalGroup(pid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      signalGroup(pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
