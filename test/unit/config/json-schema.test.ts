import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configJsonSchema } from '../../../src/config/json-schema';

describe('config/connector.schema.json', () => {
  it('is the JSON Schema of the current zod schema (run `npm run schema` after changing it)', () => {
    const committed = JSON.parse(
      readFileSync(path.resolve(__dirname, '../../../config/connector.schema.json'), 'utf8'),
    ) as unknown;
    expect(committed).toEqual(configJsonSchema());
  });

  it('refuses unknown settings and clear-text secrets, as the loader does', () => {
    const schema = configJsonSchema() as {
      additionalProperties?: boolean;
      properties: Record<string, { properties: Record<string, { pattern?: string }> }>;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.directory?.properties.bindPassword?.pattern).toBeDefined();
  });
});
