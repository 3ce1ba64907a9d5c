// Fails, naming file:line, on a line of src/ longer than 120 characters (Biome's formatter does not split strings).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MAX = 120;
const root = new URL('../src', import.meta.url).pathname;
const long = [];
for (const name of readdirSync(root, { recursive: true })) {
  if (!name.endsWith('.ts')) continue;
  const lines = readFileSync(join(root, name), 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.length > MAX) long.push(`src/${name}:${i + 1}: ${line.length} characters (at most ${MAX})`);
  });
}
if (long.length > 0) {
  console.error(long.join('\n'));
  process.exit(1);
}
