// What `consentflow serve` does after a confirm link confirmed a double opt-in: signal the contact's waiting
// double opt-in workflow (client/automations.ts doubleOptInConfirmed). The Temporal connection is opened on the
// first confirmation, not at server start, so the server runs (and answers links) while Temporal is away;
// a failed signal only delays the welcome series to the end of the workflow's wait, when it reads the store.
import type { Settings } from './config';

export interface DoiNotifier {
  notify(contactId: string): Promise<void>;
  close(): Promise<void>;
}

export function createDoiNotifier(
  settings: Pick<Settings, 'temporalAddress' | 'temporalNamespace' | 'taskQueue'>,
): DoiNotifier {
  let ready: Promise<{ close(): Promise<void>; confirmed(id: string): Promise<unknown> }> | undefined;
  const connect = async () => {
    const { Client, Connection } = await import('@temporalio/client');
    const { createAutomationClient } = await import('./automations');
    const connection = await Connection.connect({ address: settings.temporalAddress });
    const client = new Client({ connection, namespace: settings.temporalNamespace });
    const automations = createAutomationClient({ client, taskQueue: settings.taskQueue });
    return {
      close: () => connection.close(),
      confirmed: (id: string) => automations.doubleOptInConfirmed(id),
    };
  };
  return {
    async notify(contactId) {
      // A failed connection is not kept: the next confirmation tries again.
      ready ??= connect().catch((err: unknown) => {
        ready = undefined;
        throw err;
      });
      await (await ready).confirmed(contactId);
    },
    async close() {
      if (ready) await (await ready.catch(() => undefined))?.close();
    },
  };
}
