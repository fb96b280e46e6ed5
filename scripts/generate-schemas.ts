// Writes the JSON Schema of automation definitions from its TypeBox source (`npm run schemas`).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AUTOMATIONS_DIR, AutomationSchema } from '../client/definitions';

export function automationSchemaText(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...AutomationSchema }, null, 2)}\n`;
}

if (process.argv[1]?.endsWith('generate-schemas.ts')) {
  const dir = path.join(AUTOMATIONS_DIR, 'schema');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'automation.schema.json'), automationSchemaText());
  process.stdout.write(`wrote ${path.join(dir, 'automation.schema.json')}\n`);
}
