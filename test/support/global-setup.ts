// One Temporal dev server and one migrated template database for the whole run. Each test file then gets
// its own database cloned from the template (fast) and its own task queue, so files run in parallel safely.
import type { TestProject } from 'vitest/node';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import net from 'node:net';
import pg from 'pg';
import { ensureTemporalCli } from '../../scripts/temporal-cli';
import { ensureDatabase } from '../../db/pool';
import { migrate } from '../../db/migrate';
import { SEARCH_ATTRIBUTE_ARGS } from '../../contracts/search-attributes';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    templateDatabase: string;
    serverUrl: string;
    /** The dev server's Web UI (a free port of its own), for the tests that look at it in a browser. */
    temporalUiUrl: string;
  }
}

export const TEST_SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** A port the OS has just handed out and released: free for the UI to take a moment later. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = `cf_tpl_${process.pid}_${Date.now().toString(36)}`;
  const templateUrl = `${TEST_SERVER_URL}/${template}`;
  await ensureDatabase(templateUrl);
  await migrate(templateUrl);

  const binary = await ensureTemporalCli();
  const uiPort = await freePort();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: binary },
      ip: '127.0.0.1',
      ui: true,
      uiPort,
      extraArgs: [...SEARCH_ATTRIBUTE_ARGS, '--log-level', 'error'],
    },
  });
  const address = env.connection.options.address;

  project.provide('temporalAddress', address);
  project.provide('templateDatabase', template);
  project.provide('serverUrl', TEST_SERVER_URL);
  project.provide('temporalUiUrl', `http://127.0.0.1:${uiPort}`);

  return async () => {
    await env.teardown();
    const admin = new pg.Client({ connectionString: `${TEST_SERVER_URL}/postgres` });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(template)} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  };
}
