// Writes the README's configuration reference from the built zod schema, and its cost tables from the
// example config and the shipped prices (run by `npm run build`).
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigReference } from '../dist/config/reference.js';
import { withEstimate } from '../dist/ui/readme-estimate.js';

const readme = new URL('../README.md', import.meta.url);
const example = readFileSync(new URL('../devenv.config.example.json', import.meta.url), 'utf8');
writeFileSync(readme, withEstimate(withConfigReference(readFileSync(readme, 'utf8')), example));
