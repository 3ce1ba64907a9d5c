import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

function newestMtime(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) => {
      const path = join(dir, e.name);
      return e.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    }),
  );
}

/** vitest globalSetup: tests that spawn bin/devenv.js need dist/ to match src/, so build when it is stale. */
export default function setup(): void {
  let built = 0;
  try {
    built = statSync(join(root, 'dist/cli.js')).mtimeMs;
  } catch {
    // never built
  }
  if (newestMtime(join(root, 'src')) > built)
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
}
