import type { z } from 'zod';
import { formatPath } from './issues.js';
import type { Config } from './schema.js';
import { layers } from './zod-layers.js';

/**
 * Thrown when a rule reads a config key that did not parse: the rule is skipped (that key's own problem is reported).
 */
export class Unparsed extends Error {
  constructor(readonly key: string) {
    super(`${key} did not parse`);
  }
}

type Path = PropertyKey[];
const startsWith = (path: Path, prefix: Path) => prefix.length <= path.length && prefix.every((k, i) => path[i] === k);
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The object schema under defaults and optionals, if there is one (not under a transform: it needs the whole). */
function objectShape(schema: z.core.$ZodType): Record<string, z.core.$ZodType> | undefined {
  const all = layers(schema);
  const def = all.at(-1)!._zod.def as unknown as { type: string; shape?: Record<string, z.core.$ZodType> };
  return def.type === 'object' && all.every((s) => s._zod.def.type !== 'pipe') ? def.shape : undefined;
}

/**
 * The config as far as it parsed, for the rules across keys when the schema as a whole failed: each
 * key (object keys key by key, defaults applied) holds its parsed value, and reading a key that had a
 * problem of its own throws Unparsed. An unknown key spoils nothing. Refinements on a whole object do
 * not run here: rules spanning keys belong in rules.ts, which runs on either config.
 */
export function partialConfig(
  schema: z.core.$ZodType,
  raw: unknown,
  issues: readonly z.core.$ZodIssue[],
): Config | undefined {
  const bad = issues.filter((i) => i.code !== 'unrecognized_keys').map((i) => i.path);
  const shape = objectShape(schema);
  if (!shape || !isRecord(raw) || bad.some((p) => p.length === 0)) return undefined;

  const build = (
    fields: Record<string, z.core.$ZodType>,
    input: Record<string, unknown>,
    at: Path,
  ): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(fields)) {
      const path = [...at, key];
      const value = input[key];
      const inner = objectShape(field);
      const spoiled = bad.some((p) => startsWith(path, p));
      const absent = value === undefined && field._zod.def.type !== 'optional';
      if (inner && !spoiled && (absent || isRecord(value))) {
        out[key] = build(inner, value ?? {}, path);
        continue;
      }
      const parsed =
        spoiled || bad.some((p) => startsWith(p, path)) ? undefined : (field as z.ZodType).safeParse(value);
      if (parsed?.success) out[key] = parsed.data;
      else
        Object.defineProperty(out, key, {
          enumerable: true,
          get: () => {
            throw new Unparsed(formatPath(path));
          },
        });
    }
    return out;
  };
  return build(shape, raw, []) as Config;
}

/** Each rule's problems; a rule that reads a key that did not parse gives none. */
export function runRules(config: Config, rules: readonly ((config: Config) => string[])[]): string[] {
  return rules.flatMap((rule) => {
    try {
      return rule(config);
    } catch (err) {
      if (err instanceof Unparsed) return [];
      throw err;
    }
  });
}
