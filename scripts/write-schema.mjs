// Writes schema/devenv.config.schema.json from the built zod schema (run by `npm run build`).
import { writeFileSync } from 'node:fs';
import { configJsonSchemaText, JSON_SCHEMA_PATH } from '../dist/config/json-schema.js';

writeFileSync(new URL(`../${JSON_SCHEMA_PATH}`, import.meta.url), configJsonSchemaText());
