import { z } from 'zod';
import { configSchema } from './schema.js';

/** Where the package ships the config's JSON Schema (generated at build, checked current by a test). */
export const JSON_SCHEMA_PATH = 'schema/devenv.config.schema.json';

/** The JSON Schema of what a person writes in devenv.config.json, from the zod schema itself. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'devenv.config.json',
    description: 'The configuration of devenv: every key is in the configuration reference of its README',
  };
}

export const configJsonSchemaText = (): string => `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
