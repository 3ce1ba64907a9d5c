/**
 * The README's configuration reference against the config schema: it is the table the schema gives
 * (`npm run build` writes it, src/config/reference.ts), and, walked here apart from that generator,
 * every key the schema accepts has a row with a meaning, every row names a key the schema accepts,
 * and each default the schema sets is the one the row shows.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseConfig } from '../../src/config/load.js';
import { withConfigReference } from '../../src/config/reference.js';
import { configSchema } from '../../src/config/schema.js';

interface Key {
  key: string;
  /** The schema's default, when it sets one. */
  default?: unknown;
  /** What a value of it is: number, boolean, string, list, object, or a mix (a union). */
  kind: string;
}

type Def = {
  type: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  element?: z.ZodType;
};
const defOf = (s: z.ZodType) => (s as unknown as { def: Def }).def;

/** The schema under its optional/default wrappers, and the default on the way. */
function unwrap(schema: z.ZodType): { inner: z.ZodType; default?: unknown; hasDefault: boolean } {
  let inner = schema;
  let found: { default?: unknown; hasDefault: boolean } = { hasDefault: false };
  for (let def = defOf(inner); ['optional', 'default', 'prefault', 'nullable'].includes(def.type); def = defOf(inner)) {
    if (def.type === 'default' && !found.hasDefault) found = { default: def.defaultValue, hasDefault: true };
    inner = def.innerType!;
  }
  return { inner, ...found };
}

const KINDS: Record<string, string> = {
  string: 'string',
  number: 'number',
  boolean: 'boolean',
  array: 'list',
  tuple: 'list',
  record: 'object',
  object: 'object',
};

/** Every key a config may hold, as the README names them: `instance.type`, `developers[].name`. */
function schemaKeys(schema: z.ZodType, prefix = ''): Key[] {
  const shape = defOf(schema).shape!;
  return Object.entries(shape).flatMap(([name, child]) => {
    const key = `${prefix}${name}`;
    const { inner, ...d } = unwrap(child);
    const def = defOf(inner);
    if (def.type === 'object') return schemaKeys(inner, `${key}.`);
    const own: Key = { key, kind: KINDS[def.type] ?? 'mixed', ...(d.hasDefault ? { default: d.default } : {}) };
    // A list whose items may be objects (developers): their keys too, as `key[].name`.
    const items = (def.options ?? [])
      .map((o) => defOf(o))
      .filter((o) => o.type === 'array')
      .flatMap((a) => defOf(a.element!).options ?? [a.element!]);
    const objects = items.filter((i) => defOf(i).type === 'object');
    return [own, ...objects.flatMap((o) => schemaKeys(o, `${key}[].`))];
  });
}

/** The rows of the README's configuration reference: key, type, default cells. */
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function readmeRows(): Map<string, { type: string; default: string; meaning: string }> {
  const section = readme.slice(readme.indexOf('## Configuration reference'));
  const table = section.slice(0, section.indexOf('\n## '));
  const rows = new Map<string, { type: string; default: string; meaning: string }>();
  for (const line of table.split('\n')) {
    const cells = line.split(' | ');
    const key = /^\| `([^`]+)`$/.exec(cells[0] ?? '')?.[1];
    if (key)
      rows.set(key, {
        type: cells[1]!,
        default: cells[2]!,
        meaning: cells.slice(3).join(' | ').replace(/ ?\|$/, '').trim(),
      });
  }
  return rows;
}

/** How a default reads in a cell: a string as it is, anything else as JSON. */
const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
const literals = (cell: string) => [...cell.matchAll(/`([^`]*)`/g)].map((m) => m[1]);

describe('README configuration reference', () => {
  const keys = schemaKeys(configSchema);
  const rows = readmeRows();

  it("finds the schema's keys and the README's rows (the walk itself works)", () => {
    expect(keys.map((k) => k.key)).toEqual(
      expect.arrayContaining([
        'project',
        'network.subnetCidrs',
        'developers',
        'developers[].memoryLimitMiB',
        'alb.sslPolicy',
      ]),
    );
    expect(rows.size).toBeGreaterThan(30);
  });

  it('is the table the schema gives, as `npm run build` writes it', () => {
    expect(readme, "the README's configuration reference is stale: run `npm run build`").toBe(
      withConfigReference(readme),
    );
  });

  it('documents every key of the schema, and no key the schema lacks', () => {
    const documented = [...rows.keys()];
    expect(
      [...rows].filter(([, row]) => row.meaning === '').map(([key]) => key),
      'rows without a meaning',
    ).toEqual([]);
    expect(
      keys.map((k) => k.key).filter((k) => !rows.has(k)),
      'keys in the schema without a row in the README',
    ).toEqual([]);
    expect(
      documented.filter((k) => !keys.some((s) => s.key === k)),
      'rows in the README for keys the schema does not have',
    ).toEqual([]);
  });

  it("shows the schema's default for every key that has one", () => {
    const wrong = keys
      .filter((k) => 'default' in k)
      .filter((k) => !literals(rows.get(k.key)?.default ?? '').includes(shown(k.default)))
      .map((k) => `${k.key}: README says ${rows.get(k.key)?.default}, the schema ${shown(k.default)}`);
    expect(wrong).toEqual([]);
  });

  it('gives each key the type the schema checks', () => {
    const wrong = keys
      .filter((k) => k.kind !== 'mixed' && !rows.get(k.key)?.type.startsWith(k.kind))
      .map((k) => `${k.key}: README says ${rows.get(k.key)?.type}, the schema takes a ${k.kind}`);
    expect(wrong).toEqual([]);
  });

  it("the quick start's minimal config is a valid config", () => {
    const example = /A minimal `devenv.config.json`[^\n]*\n\n```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    expect(parseConfig(example!).developers).toEqual(['alice', 'bob', 'carol']);
  });
});
