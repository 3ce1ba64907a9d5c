// Writes the README's configuration reference from the built zod schema (run by `npm run build`).
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigReference } from '../dist/config/reference.js';

const readme = new URL('../README.md', import.meta.url);
writeFileSync(readme, withConfigReference(readFileSync(readme, 'utf8')));
