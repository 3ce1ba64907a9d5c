/**
 * The config's keys as the schema declares them, and what is made from them: the README's
 * configuration reference (`npm run build` writes it; a test checks it is current) and the examples
 * `devenv init` writes. Each key's type, default, meaning and example are declared in the schema alone.
 */
import { globalRegistry, z } from 'zod';
import { configSchema, referenceNotes, type ReferenceNote } from './schema.js';
import { innermost, layers } from './zod-layers.js';

/** One key a config may hold, as the README names it: `instance.type`, `developers[].name`. */
export interface ConfigKey {
  key: string;
  /** The key's schema, wrappers (optional, default …) and all. */
  schema: z.ZodType;
  required: boolean;
  /** The schema's default, when it sets one. */
  default?: unknown;
  hasDefault: boolean;
}

/** The notes on a key, a wrapper's over those of the schema it wraps. */
const noteOf = (schema: z.ZodType): ReferenceNote =>
  Object.assign(
    {},
    ...layers(schema)
      .map((s) => referenceNotes.get(s))
      .reverse(),
  );
/** The description nearest the key: what a wrapper says overrides what the schema it wraps says. */
const descriptionOf = (schema: z.ZodType): string | undefined =>
  layers(schema)
    .map((s) => globalRegistry.get(s)?.description)
    .find((d) => d !== undefined);

/** Every key of an object schema, nested objects by their keys and a list's objects as `key[].name`. */
export function configKeys(schema: z.ZodType = configSchema, prefix = ''): ConfigKey[] {
  const shape = (innermost(schema) as z.ZodObject).shape as Record<string, z.ZodType>;
  return Object.entries(shape).flatMap(([name, child]) => {
    const key = `${prefix}${name}`;
    const inner = innermost(child);
    if (inner instanceof z.ZodObject) return configKeys(inner, `${key}.`);
    const withDefault = layers(child).find((s) => s instanceof z.ZodDefault);
    const own: ConfigKey = {
      key,
      schema: child,
      required: !layers(child).some((s) => s instanceof z.ZodOptional || s instanceof z.ZodDefault),
      hasDefault: withDefault !== undefined,
      ...(withDefault ? { default: withDefault.def.defaultValue } : {}),
    };
    const objects = alternatives(inner)
      .filter((s) => s instanceof z.ZodArray)
      .flatMap((a) => alternatives(innermost(a.def.element as z.ZodType)))
      .filter((s) => s instanceof z.ZodObject);
    return [own, ...objects.flatMap((o) => configKeys(o, `${key}[].`))];
  });
}

/** The first of a key's examples (JSON Schema's `examples`), if it has any. */
export function exampleOf(k: ConfigKey): unknown {
  const examples = layers(k.schema)
    .map((s) => globalRegistry.get(s)?.examples)
    .find((e) => e !== undefined);
  return (examples as unknown[] | undefined)?.[0];
}

/** A union's options (each under its wrappers), or the schema itself. */
const alternatives = (schema: z.ZodType): z.ZodType[] =>
  schema instanceof z.ZodUnion ? (schema.def.options as z.ZodType[]).map(innermost) : [schema];

/** What a value of a key is, in words: `string`, `list of 2 CIDRs`, `number or list`. */
function typeOf(schema: z.ZodType): { one: string; many: string } {
  const note = noteOf(schema);
  if (note.type) return { one: note.type, many: `${note.type}s` };
  const s = innermost(schema);
  if (s instanceof z.ZodArray) return plain(`list of ${typeOf(s.def.element as z.ZodType).many}`);
  if (s instanceof z.ZodTuple) {
    const items = s.def.items as z.ZodType[];
    return plain(`list of ${items.length} ${typeOf(items[0]).many}`);
  }
  if (s instanceof z.ZodUnion) return plain([...new Set(alternatives(s).map((o) => typeOf(o).one))].join(' or '));
  if (s instanceof z.ZodObject || s instanceof z.ZodRecord) return plain('object');
  const kind =
    s instanceof z.ZodString
      ? 'string'
      : s instanceof z.ZodNumber
        ? 'number'
        : s instanceof z.ZodBoolean
          ? 'boolean'
          : 'value';
  return note.noun ? { one: `${kind} (${note.noun})`, many: `${note.noun}s` } : plain(kind);
}

const plain = (kind: string) => ({ one: kind, many: `${kind}s` });

/** How a default reads in the table: a string as it is, anything else as JSON, in backticks. */
function defaultCell(k: ConfigKey): string {
  const note = noteOf(k.schema);
  if (note.default) return note.default;
  if (k.hasDefault) return `\`${typeof k.default === 'string' ? k.default : JSON.stringify(k.default)}\``;
  return k.required ? '— (required)' : '—';
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** The README's configuration reference: a row per key, in the schema's order. */
export function configReference(schema: z.ZodType = configSchema): string {
  const rows = configKeys(schema).map(
    (k) =>
      `| \`${k.key}\` | ${typeOf(k.schema).one} | ${cell(defaultCell(k))} | ${cell(descriptionOf(k.schema) ?? '')} |`,
  );
  return ['| key | type | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The markers around the generated reference in the README. */
export const REFERENCE_MARKERS = {
  start: '<!-- config reference: generated from src/config/schema.ts by `npm run build`; edit it there -->',
  end: '<!-- end of the generated config reference -->',
};

/** The README with its configuration reference replaced by the one the schema gives. */
export function withConfigReference(readme: string): string {
  const start = readme.indexOf(REFERENCE_MARKERS.start);
  const end = readme.indexOf(REFERENCE_MARKERS.end);
  if (start < 0 || end < start) {
    throw new Error(`README.md lacks the markers of the config reference: ${REFERENCE_MARKERS.start}`);
  }
  return `${readme.slice(0, start + REFERENCE_MARKERS.start.length)}\n${configReference()}\n${readme.slice(end)}`;
}
