import { z } from 'zod';
import { Config } from './schema';

/** JSON Schema of the config file, for editors (yaml-language-server) to complete and check it. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(Config, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'dirsync connector configuration', $id: 'https://dirsync.invalid/connector.schema.json' };
}
