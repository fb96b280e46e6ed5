// `consentflow serve`: the HTTP side of consent (unsubscribe links, preference page, provider webhooks).
// Configuration is environment only (docs/consent-http.md); it migrates the database first, like the worker.
import type { Command } from 'commander';
import { loadSettings } from '../config';
import { CliError } from './errors';
import { untilSignal } from './signals';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the consent HTTP server: unsubscribe links, webhooks')
    .action(async () => {
      // The driver, the migrator and Fastify load when the server starts, not at every CLI start.
      const { assertReachable, createPool, ensureDatabase } = await import('../../db/pool');
      const { migrate } = await import('../../db/migrate');
      const { loadServerConfig } = await import('../../server/config');
      const { buildServer } = await import('../../server/app');
      const { createDoiNotifier } = await import('../doi-notifier');
      const settings = loadSettings();
      let config;
      try {
        config = loadServerConfig();
      } catch (err) {
        throw new CliError((err as Error).message, 2);
      }
      await ensureDatabase(settings.databaseUrl);
      await migrate(settings.databaseUrl, () => undefined);
      const pool = createPool(settings.databaseUrl);
      await assertReachable(pool, settings.databaseUrl);
      const doi = createDoiNotifier(settings);
      const app = await buildServer({
        // The store is already confirmed; if this signal fails, the workflow finds it there within the hour.
        onConfirmed: (contactId) =>
          doi.notify(contactId).catch((err: unknown) => {
            process.stderr.write(
              `double opt-in of ${contactId} confirmed; its workflow could not be signalled (${(err as Error).message}); it finds the confirmation in the store within the hour\n`,
            );
          }),
        pool,
        links: config.links,
        providers: config.providers,
        publicRateLimit: config.publicRateLimit,
        sns: { topics: config.snsTopics },
        ...(process.env.CONSENTFLOW_OPERATOR_TOKEN
          ? { operatorToken: process.env.CONSENTFLOW_OPERATOR_TOKEN }
          : {}),
        trustProxy: process.env.CONSENTFLOW_TRUST_PROXY === '1',
      });
      try {
        await app.listen({ host: config.host, port: config.port });
      } catch (err) {
        await pool.end();
        throw new CliError(
          `Cannot listen on ${config.host}:${config.port} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set CONSENTFLOW_HTTP_PORT to a free port.`,
          1,
        );
      }
      const p = config.providers;
      const enabled = [
        ...(p.twilioAuthToken || p.twilioSharedKeys?.length ? ['twilio'] : []),
        ...(p.mailgunSigningKey ? ['mailgun'] : []),
        ...(p.sendgridPublicKey ? ['sendgrid'] : []),
        ...(p.postmark ? ['postmark'] : []),
        ...(config.snsTopics.length ? ['ses'] : []),
      ];
      process.stdout.write(
        `consent server at http://${config.host}:${config.port} (links point to ${config.links.baseUrl})\n` +
          `webhooks enabled: ${enabled.length ? enabled.join(', ') : 'none (set the provider secrets, see docs/consent-http.md)'}\n` +
          'Ctrl-C stops it.\n',
      );
      await untilSignal();
      await app.close();
      await doi.close();
      await pool.end();
    });
}
