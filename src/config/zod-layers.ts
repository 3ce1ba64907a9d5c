import type { z } from 'zod';

/**
 * A config key's schema is its type under wrappers: optional, default, prefault, and a pipe (a
 * transform) whose input side is what the user writes. Each reader of the schema looks through them.
 */
const WRAPPED = new Set(['optional', 'default', 'prefault']);

/** The schema and each one it wraps, the outermost first, the key's own type last. */
export function layers<T extends z.core.$ZodType>(schema: T): T[] {
  const out = [schema];
  for (let s: z.core.$ZodType = schema; ; out.push(s as T)) {
    const def = s._zod.def as unknown as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (WRAPPED.has(def.type)) s = def.innerType!;
    else if (def.type === 'pipe') s = def.in!;
    else return out;
  }
}

/** The key's own type under its wrappers. */
export const innermost = <T extends z.core.$ZodType>(schema: T): T => layers(schema).at(-1)!;
