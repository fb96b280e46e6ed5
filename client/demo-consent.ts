// The demo's consent server: the same HTTP server `consentflow serve` runs, on a free local port, so the
// emails in the demo's SMTP sink carry working unsubscribe links; and the click a mailbox provider makes on
// its own "Unsubscribe" button (RFC 8058 one-click POST).
import type { AddressInfo } from 'node:net';
import type { Pool } from '../db/pool';
import type { ReceivedEmail } from '../activities/transports/sinks/smtp-sink';
import { loadLinkConfig, type LinkConfig } from '../contracts/link-config';
import { buildServer } from '../server/app';

export async function startDemoConsentServer(pool: Pool) {
  // The key comes from CONSENTFLOW_LINK_SECRET or .consentflow/link-secret (generated once); the links point
  // here, whatever CONSENTFLOW_PUBLIC_URL says, as this server is the one the demo runs.
  const links: LinkConfig = { ...loadLinkConfig(), baseUrl: 'http://127.0.0.1' };
  const app = await buildServer({ pool, links, providers: {} });
  await app.listen({ host: '127.0.0.1', port: 0 });
  links.baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { links, url: links.baseUrl, close: () => app.close() };
}

/** POSTs the email's List-Unsubscribe URL as a mailbox provider does; returns the URL and the status. */
export async function clickOneClickUnsubscribe(
  mail: ReceivedEmail,
): Promise<{ url: string; status: number }> {
  const url = /<(https?:[^>]+)>/.exec(mail.listUnsubscribe ?? '')?.[1];
  if (!url || mail.listUnsubscribePost !== 'List-Unsubscribe=One-Click')
    throw new Error(`The email "${mail.subject}" has no one-click List-Unsubscribe header.`);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'consentflow-demo-mailbox',
    },
    body: 'List-Unsubscribe=One-Click',
  });
  return { url, status: response.status };
}
