// The messages of a campaign delivery group, rendered as deliver renders one: the contacts' template fields in
// one read (db/contacts/template-fields.ts), the row's step values over them, the signed consent links over both.
// A template error is that row's own outcome (recorded as failed by the caller), never the group's.
import type { MessageSpec } from '../rules/model';
import type { RuleSet } from '../rules';
import type { Pool } from '../db/pool';
import { loadTemplateFieldsOf } from '../db/contacts/template-fields';
import type { LinkConfig } from '../contracts/link-config';
import { consentLinksIn } from './consent-links';
import { TemplateError } from './errors';
import type { OutboxEntry } from './store';
import { renderTemplate, type RenderedMessage, type TemplateSource } from './templates';

export type Rendered = { row: OutboxEntry; rendered: RenderedMessage };
export type RenderedGroup = { ok: Rendered[]; broken: { row: OutboxEntry; detail: string }[] };

/** Every row's message; a template error is that row's (recorded as failed), anything else fails the group. */
export async function renderGroup(
  deps: { pool: Pool; rules: { current(): RuleSet }; templates: TemplateSource; links?: LinkConfig },
  rows: readonly OutboxEntry[],
  message: MessageSpec,
): Promise<RenderedGroup> {
  const fields = await loadTemplateFieldsOf(
    deps.pool,
    rows.map((r) => r.contactId),
  );
  // Every row's decision is this group's re-ask, for the campaign's message: its resource and category.
  const scope = {
    ...(message.resource ? { resource: message.resource } : {}),
    ...(message.category ? { category: message.category } : {}),
  };
  const ok: Rendered[] = [];
  const broken: { row: OutboxEntry; detail: string }[] = [];
  for (const row of rows) {
    const own = fields.get(row.contactId);
    if (!own) continue; // erased since the re-ask: stays pending, the next re-ask suppresses it
    try {
      const template = deps.templates.get(row.template);
      const links = consentLinksIn(deps, row, scope);
      // As deliver: step values win over contact fields, the signed links over both.
      const rendered = renderTemplate(template, { ...own, ...row.templateVars, ...links?.vars }, row.channel);
      ok.push({
        row,
        rendered: links && rendered.channel === 'email' ? { ...rendered, headers: links.headers } : rendered,
      });
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      broken.push({ row, detail: err.message });
    }
  }
  return { ok, broken };
}
