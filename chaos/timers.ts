// Timers a chaos component starts (a delayed restart, a hang's end) and must all cancel when it stops, so a
// finished run leaves nothing scheduled behind it.
export interface PendingTimers {
  /** Runs `fn` after `ms`, unless `cancelAll` comes first. */
  later: (ms: number, fn: () => void) => void;
  cancelAll: () => void;
}

export function pendingTimers(): PendingTimers {
  const timers = new Set<NodeJS.Timeout>();
  return {
    later: (ms, fn) => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    },
    cancelAll: () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
