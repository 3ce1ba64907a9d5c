import { readFile } from 'node:fs/promises';

/** The text of a file in templates/ (relative to this module in both src/ and dist/). */
export const loadTemplate = (name: string): Promise<string> => readFile(new URL(`../../templates/${name}`, import.meta.url), 'utf8');
