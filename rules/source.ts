// A live rule set for long-running processes: reloads when the folder changes, and keeps serving the last
// good set (saying why in the log) when an edit leaves the folder invalid.
import { watch, type FSWatcher } from 'node:fs';
import { loadRuleSet, RuleSetError, type RuleSet } from './load';

export interface RuleSource {
  current(): RuleSet;
  close(): void;
}

export interface RuleSourceOptions {
  /** Watch the folder for changes (default true). */
  watch?: boolean;
  log?: (line: string) => void;
  /** Quiet time after the last change before reloading; editors write files in several steps. */
  debounceMs?: number;
}

function describe(err: unknown): string {
  if (err instanceof RuleSetError) {
    return err.problems
      .map((p) => `  ${p.file}${p.pointer ? ` ${p.pointer}` : ''}: ${p.message} (${p.hint})`)
      .join('\n');
  }
  return `  ${(err as Error).message ?? String(err)}`;
}

/** Loads `dir` now (throws RuleSetError if it is invalid) and keeps it current. */
export function createRuleSource(dir: string, opts: RuleSourceOptions = {}): RuleSource {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let current = loadRuleSet(dir);
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;

  const reload = () => {
    timer = undefined;
    try {
      const next = loadRuleSet(dir);
      if (next.hash === current.hash) return;
      log(`rules: reloaded ${current.dir}: version ${current.hash} -> ${next.hash}`);
      current = next;
    } catch (err) {
      log(
        `rules: ${current.dir} changed but is not valid; still serving version ${current.hash}:\n${describe(err)}`,
      );
    }
  };

  if (opts.watch ?? true) {
    watcher = watch(current.dir, { persistent: false }, (_event, name) => {
      if (name && !String(name).endsWith('.json')) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(reload, opts.debounceMs ?? 100);
    });
    watcher.on('error', (err) =>
      log(`rules: cannot watch ${current.dir} any more (${err.message}); serving version ${current.hash}`),
    );
  }

  return {
    current: () => current,
    close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      watcher?.close();
      watcher = undefined;
    },
  };
}
