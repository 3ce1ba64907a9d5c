import { readFile } from 'node:fs/promises';

/** The text of a file in templates/ (relative to this module in both src/ and dist/). */
export const loadTemplate = (name: string): Promise<string> =>
  readFile(new URL(`../../templates/${name}`, import.meta.url), 'utf8');

/** Quotes a value for a POSIX shell: single quotes, each embedded `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

const PLACEHOLDER = /\{\{([A-Z0-9_]+)\}\}/g;

/**
 * Replaces every `{{NAME}}` with its shell-quoted value; an unknown or unused name is a bug in the template or here.
 */
export function renderTemplate(template: string, values: Record<string, string>): string {
  const unused = new Set(Object.keys(values));
  const out = template.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`template placeholder {{${name}}} has no value`);
    unused.delete(name);
    return shellQuote(value);
  });
  if (unused.size > 0) throw new Error(`template has no placeholder for ${[...unused].join(', ')}`);
  return out;
}
