// Templates: the shipped files are valid and cover every template the automation definitions name; rendering
// fills variables and refuses to invent empty ones.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TEMPLATES_DIR,
  createTemplateSource,
  loadTemplates,
  parseTemplate,
  renderTemplate,
  templateVariables,
} from '../../activities/templates';
import { TemplateError } from '../../activities/errors';

function templateIdsInAutomations(dir: string): string[] {
  const ids = new Set<string>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory() && entry.name !== 'schema') walk(p);
      else if (entry.name.endsWith('.json')) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/"template"\s*:\s*"([^"]+)"/g))
          ids.add(m[1] as string);
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return [...ids].sort();
}

describe('shipped templates', () => {
  it('all parse, and every template an automation definition names exists with the right channel', () => {
    const templates = loadTemplates();
    expect(templates.size).toBeGreaterThanOrEqual(12);
    const named = templateIdsInAutomations(path.resolve(DEFAULT_TEMPLATES_DIR, '..', 'automations'));
    const missing = named.filter((id) => !templates.has(id));
    expect(missing).toEqual([]);
    for (const [id, t] of templates) expect(id.endsWith(`-${t.channel}`)).toBe(true);
  });

  it('render for a contact with only an email address (fallbacks cover first_name)', () => {
    const source = createTemplateSource();
    // deliver always supplies the consent links of an email (activities/consent-links.ts).
    const links = { unsubscribe_url: 'https://x.test/u/t', preferences_url: 'https://x.test/p/t' };
    const welcome = renderTemplate(source.get('welcome-1-email'), links);
    expect(welcome).toMatchObject({ channel: 'email', subject: 'Welcome, friend!' });
    expect(welcome.channel === 'email' && welcome.text).toContain('Unsubscribe: https://x.test/u/t');
    expect(() => renderTemplate(source.get('welcome-1-email'), {})).toThrow(/\{\{unsubscribe_url\}\}/);
    const named = renderTemplate(source.get('welcome-1-email'), { first_name: 'Ada', ...links });
    expect(named.channel === 'email' && named.subject).toBe('Welcome, Ada!');
  });

  it('order confirmations need the order id from the step, and say so', () => {
    const source = createTemplateSource();
    expect(() => renderTemplate(source.get('order-confirmation-email'), { first_name: 'Ada' })).toThrow(
      /Template "order-confirmation-email" uses \{\{order_id\}\}/,
    );
    const ok = renderTemplate(source.get('order-confirmation-sms'), { order_id: 'A-1001' });
    expect(ok.channel === 'sms' && ok.body).toContain('Order A-1001 is confirmed');
  });
});

describe('rendering', () => {
  const sms = parseTemplate(
    JSON.stringify({
      id: 'probe-sms',
      channel: 'sms',
      body: "Hi {{ first_name }}, {{order.id}} at {{ shop|default:'our shop' }}",
    }),
    'probe-sms.json',
  );

  it('fills variables, dot paths and explicit fallbacks', () => {
    expect(renderTemplate(sms, { first_name: 'Zoë', order: { id: 42 } })).toEqual({
      channel: 'sms',
      body: 'Hi Zoë, 42 at our shop',
    });
    expect(templateVariables(sms).sort()).toEqual(['first_name', 'order.id', 'shop']);
  });

  it('a missing, null or empty variable is an error naming the template and the variable', () => {
    for (const fields of [
      { order: { id: 1 } },
      { first_name: null, order: { id: 1 } },
      { first_name: '', order: { id: 1 } },
    ]) {
      let caught: unknown;
      try {
        renderTemplate(sms, fields);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(TemplateError);
      expect((caught as Error).message).toMatch(
        /Template "probe-sms" uses \{\{first_name\}\}.*no value for "first_name"/,
      );
    }
  });

  it('refuses a template for the other channel', () => {
    expect(() => renderTemplate(sms, { first_name: 'a', order: { id: 1 } }, 'email')).toThrow(
      /Template "probe-sms" is for sms, but this step sends email/,
    );
  });
});

describe('template files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-templates-'));
  const write = (name: string, body: unknown) =>
    fs.writeFileSync(path.join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));

  it('explain what is wrong and where', () => {
    write('broken-json.json', '{ "id": ');
    write('no-subject.json', { id: 'no-subject', channel: 'email', text: 'x' });
    write('bad-brace.json', { id: 'bad-brace', channel: 'sms', body: 'Hi {{first name}}' });
    write('other-id.json', { id: 'something-else', channel: 'sms', body: 'x' });
    const source = createTemplateSource(dir);
    expect(() => source.get('broken-json')).toThrow(/broken-json\.json is not valid JSON/);
    expect(() => source.get('no-subject')).toThrow(/no-subject\.json is invalid: .*subject/);
    expect(() => source.get('bad-brace')).toThrow(/malformed placeholder "\{\{first name\}\}"/);
    expect(() => source.get('other-id')).toThrow(/declares id "something-else"/);
    expect(() => source.get('nowhere')).toThrow(
      new RegExp(`Template "nowhere" not found: expected the file ${dir}`),
    );
    expect(() => source.get('../etc/passwd')).toThrow(/is not valid/);
  });

  it('a marketer edit applies to the next message without a restart', () => {
    write('edit-sms.json', { id: 'edit-sms', channel: 'sms', body: 'first version' });
    const source = createTemplateSource(dir);
    expect(renderTemplate(source.get('edit-sms'), {})).toEqual({ channel: 'sms', body: 'first version' });
    const file = path.join(dir, 'edit-sms.json');
    write('edit-sms.json', { id: 'edit-sms', channel: 'sms', body: 'second version' });
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(file, later, later);
    expect(renderTemplate(source.get('edit-sms'), {})).toEqual({ channel: 'sms', body: 'second version' });
  });
});
