/** Writes config/connector.schema.json from the zod schema: `npm run schema`. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { configJsonSchema } from '../src/config/json-schema';

const out = path.resolve(__dirname, '../../config/connector.schema.json');
writeFileSync(out, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${out}\n`);
