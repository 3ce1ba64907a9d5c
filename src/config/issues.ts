import type { z } from 'zod';
import { innermost } from './zod-layers.js';

/**
 * Zod's issues in the user's words: every problem reads `<key path>: <value> <what is wrong>`,
 * never zod's own wording ("expected number to be >=1").
 */

/** Messages for every issue the schema does not word itself (passed to safeParse as its error map). */
export function humanMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return (
        (
          {
            number: 'must be a number',
            int: 'must be a whole number',
            string: 'must be text in quotes',
            boolean: 'must be true or false',
            object: 'must be an object ({ … })',
            record: 'must be an object ({ … })',
            array: 'must be a list ([ … ])',
            tuple: 'must be a list ([ … ])',
          } as Record<string, string>
        )[issue.expected] ?? `must be a ${issue.expected}`
      );
    case 'too_small':
      if (issue.origin === 'string')
        return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters long`;
      if (issue.origin === 'array') return `must list at least ${issue.minimum}`;
      return issue.inclusive === false ? `must be more than ${issue.minimum}` : `must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters long`;
      if (issue.origin === 'array') return `must list at most ${issue.maximum}`;
      return issue.inclusive === false ? `must be less than ${issue.maximum}` : `must be at most ${issue.maximum}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    default:
      return 'is not allowed here';
  }
}

/** `a.b[2].c` */
export function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (v, key) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined),
    raw,
  );
}

/** The keys an object in the schema allows at `path` (through defaults, optionals, lists and unions). */
function keysAt(schema: z.core.$ZodType, path: PropertyKey[]): string[] {
  const def = innermost(schema)._zod.def as unknown as Record<string, unknown> & { type: string };
  if (def.type === 'union') return [...new Set((def.options as z.core.$ZodType[]).flatMap((o) => keysAt(o, path)))];
  if (def.type === 'array' && typeof path[0] === 'number') return keysAt(def.element as z.core.$ZodType, path.slice(1));
  if (def.type !== 'object') return [];
  const shape = def.shape as Record<string, z.core.$ZodType>;
  if (path.length === 0) return Object.keys(shape);
  const inner = shape[String(path[0])];
  return inner ? keysAt(inner, path.slice(1)) : [];
}

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The allowed key a mistyped one most likely meant: same letters in another case, or at most 2
 * edits away. Only one: when two are as close (`dev` for dev1 and dev2), none is a guess worth giving.
 */
export function didYouMean(key: string, allowed: string[]): string | undefined {
  const sameCase = allowed.find((k) => k.toLowerCase() === key.toLowerCase());
  if (sameCase) return sameCase;
  const scored = allowed
    .map((k) => ({ k, d: editDistance(key.toLowerCase(), k.toLowerCase()) }))
    .sort((x, y) => x.d - y.d);
  if (scored[1] && scored[1].d === scored[0].d) return undefined;
  return scored[0] && scored[0].d <= Math.min(2, Math.floor(key.length / 3)) ? scored[0].k : undefined;
}

/** ` (did you mean "storage"?)` after a mistyped name, or nothing. */
export const guessFor = (name: string, allowed: string[]): string => {
  const guess = didYouMean(name, allowed);
  return guess ? ` (did you mean "${guess}"?)` : '';
};

/** The fix for an unknown name: the one it probably meant, else the names allowed (the first 20). */
export function useInstead(name: string, allowed: string[]): string {
  const guess = didYouMean(name, allowed);
  if (guess) return `use "${guess}"`;
  const shown = allowed.slice(0, 20).join(', ');
  return `use one of: ${shown}${allowed.length > 20 ? ` and ${allowed.length - 20} more` : ''}`;
}

/** A union option that failed only because the value is of another type (a list given where a number could go). */
const typeMismatch = (issues: z.core.$ZodIssue[]) =>
  issues.length === 1 &&
  issues[0].code === 'invalid_type' &&
  issues[0].path.length === 0 &&
  issues[0].expected !== 'int';

/** One line per issue: the key path, the value given (when there is one) and what is wrong. */
export function describeIssue(
  issue: z.core.$ZodIssue,
  raw: unknown,
  schema: z.core.$ZodType,
  within: PropertyKey[] = [],
): string[] {
  const at = [...within, ...issue.path];
  const path = formatPath(at) || '(top level)';
  if (issue.code === 'invalid_union') {
    // When the value is of one option's type (a list of developers), that option's problems are the useful ones.
    const candidates = issue.errors.filter((issues) => !typeMismatch(issues));
    if (candidates.length === 1) return candidates[0].flatMap((i) => describeIssue(i, raw, schema, at));
  }
  if (issue.code === 'unrecognized_keys') {
    const allowed = keysAt(schema, at);
    return issue.keys.map((key) => {
      const guess = didYouMean(key, allowed);
      return `${at.length ? `${path}: ` : ''}unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}`;
    });
  }
  const value = valueAt(raw, at);
  // A rule of the schema's own (start needs stop) says why the key is required: its words, not the bare ones.
  if (value === undefined)
    return [
      `${path}: ${issue.code === 'custom' && /^is required/.test(issue.message) ? issue.message : 'is required'}`,
    ];
  const shown = JSON.stringify(value);
  // The schema's own messages start in lower case; zod's defaults (which options of a union keep) are reworded.
  const message = /^[A-Z]/.test(issue.message)
    ? humanMessage({ ...issue, input: value } as z.core.$ZodRawIssue)
    : issue.message;
  return [`${path}: ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown} ${message}`];
}

/** "line 3, column 5: …" for a JSON syntax error, found by parsing ever longer prefixes of the text. */
export function jsonSyntaxError(text: string, err: Error): string {
  const said = err.message.replace(/ in JSON at position \d+.*$/, '').replace(/, ".*" is not valid JSON$/s, '');
  const at = errorOffset(text);
  const before = text.slice(0, at).split('\n');
  return (
    `line ${before.length}, ` +
    `column ${before[before.length - 1].length + 1}: ${said.charAt(0).toLowerCase()}${said.slice(1)}`
  );
}

/** The offset of the first character that makes the text invalid JSON (its length when it just ends too early). */
function errorOffset(text: string): number {
  for (let end = 1; end <= text.length; end++) {
    try {
      JSON.parse(text.slice(0, end));
    } catch (err) {
      const message = (err as Error).message;
      if (/Unexpected end of JSON input|Unterminated/.test(message)) continue;
      const position = /at position (\d+)/.exec(message);
      const offset = position ? Number(position[1]) : end - 1;
      if (offset < end) return offset;
    }
  }
  return text.length;
}
