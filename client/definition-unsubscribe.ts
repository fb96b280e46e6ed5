// Marketing email must carry a visible way out (CAN-SPAM, GDPR Art. 21, Gmail and Yahoo bulk-sender rules):
// every email template a marketing send names must use {{unsubscribe_url}} in its text (and in its html, when
// it has one). Transactional sends are exempt. The one-click header is added by deliver; this is the link a
// reader sees.
import fs from 'node:fs';
import path from 'node:path';
import type { SchemaProblem } from '../rules/problems';
import { parseTemplate, type MessageTemplate } from '../activities/templates';
import { sendsOf } from './definition-checks';

export const UNSUBSCRIBE_VARIABLE = 'unsubscribe_url';

const LINK = /\{\{\s*unsubscribe_url\s*(?:\|[^}]*)?\}\}/;

function usesLink(template: MessageTemplate): boolean {
  if (template.channel !== 'email') return true;
  return LINK.test(template.text) && (template.html === undefined || LINK.test(template.html));
}

/** One error per marketing email send whose template has no {{unsubscribe_url}}. */
export function missingUnsubscribeLinks(
  d: unknown,
  templatesDir: string,
  transactional: ReadonlySet<string>,
): SchemaProblem[] {
  return sendsOf(d)
    .filter(({ send }) => send.channel === 'email' && !transactional.has(send.type))
    .flatMap(({ pointer, send }) => {
      let template: MessageTemplate;
      try {
        const file = path.join(templatesDir, `${send.template}.json`);
        template = parseTemplate(fs.readFileSync(file, 'utf8'), file);
      } catch {
        return []; // a missing or broken template is reported by its own check
      }
      if (usesLink(template)) return [];
      return [
        {
          pointer: `${pointer}/template`,
          message: `template "${send.template}" is sent as marketing ("${send.type}") but has no {{${UNSUBSCRIBE_VARIABLE}}}${template.channel === 'email' && template.html ? ' in both text and html' : ''}`,
          hint: `add a visible link, e.g. "Unsubscribe: {{${UNSUBSCRIBE_VARIABLE}}}", to the template's text${template.channel === 'email' && template.html ? ' and html' : ''} (docs/consent-http.md)`,
        },
      ];
    });
}
