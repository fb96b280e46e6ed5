// Ctrl-C and SIGTERM: a command that waits for them (dev, worker, demo --keep) gets them through
// `untilSignal`; any other command exits at once, and the 'exit' hooks (e.g. the dev server's) clean up.
const waiters = new Set<(signal: NodeJS.Signals) => void>();
let installed = false;

export function installSignalHandling(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (waiters.size === 0) process.exit(signal === 'SIGINT' ? 130 : 143);
      for (const wake of waiters) wake(signal);
      waiters.clear();
    });
  }
}

/** Resolves on the next SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  installSignalHandling();
  return new Promise((resolve) => waiters.add(resolve));
}
