/** Cells of the last column are never cut below this (when the others can give way). */
const MIN_LAST = 24;
/** Nor any other column below this (or its header). */
const MIN_OTHER = 8;

export interface TableOptions {
  /** Fit each line in this many characters: long cells are cut with `…`, the last column first, then the widest. */
  maxWidth?: number;
}

/** Left-aligned columns, two spaces apart: what `plan` and `status` print. A cell's line breaks become `; `. */
export function table(header: string[], rows: string[][], o: TableOptions = {}): string {
  const lines = [header, ...rows].map((r) => header.map((_, i) => (r[i] ?? '').replace(/\s*\n\s*/g, '; ')));
  const widths = header.map((_, i) => Math.max(...lines.map((r) => r[i]!.length)));
  // biome-ignore lint/suspicious/noFocusedTests: this fit() fits the columns; it is not a focused test
  if (o.maxWidth !== undefined) fit(widths, header, o.maxWidth);
  // The last column (prose) loses its end; the others (names, ids) their middle, so `…developer-12` stays told apart.
  const cut = (c: string, w: number) => (c.length <= w ? c : `${c.slice(0, Math.max(0, w - 1))}…`);
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? cut(c, widths[i]!) : shorten(c, widths[i]!).padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return lines.map(fmt).join('\n');
}

function fit(widths: number[], header: string[], maxWidth: number): void {
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  const last = widths.length - 1;
  const others = total() - widths[last]!;
  widths[last] = Math.min(widths[last]!, Math.max(maxWidth - others, MIN_LAST, header[last]!.length));
  while (total() > maxWidth) {
    let widest = -1;
    for (let i = 0; i < last; i++)
      if (widths[i]! > Math.max(MIN_OTHER, header[i]!.length) && (widest < 0 || widths[i]! > widths[widest]!))
        widest = i;
    if (widest < 0) return;
    widths[widest]!--;
  }
}

/** A long id cut in the middle, so both its kind and its end stay readable: `arn:aws:acm:…:certificate/6f1c…7890`. */
export function shorten(id: string, max: number): string {
  if (id.length <= max) return id;
  const tail = Math.ceil((max - 1) / 2);
  return `${id.slice(0, max - 1 - tail)}…${id.slice(-tail)}`;
}

/**
 * Prose broken at spaces into lines of at most `width` (a word longer than that stays whole), the later ones indented.
 */
export function wrap(text: string, width: number, indent = '  '): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : `${lines.length ? indent : ''}${word}`;
    if (next.length > width && line) {
      lines.push(line);
      line = `${indent}${word}`;
    } else line = next;
  }
  return [...lines, line].join('\n');
}

/**
 * What an ARN names, for a reader: `arn:…:targetgroup/itest-tg-alice/6d0e…` → `itest-tg-alice`,
 * `arn:…:volume/vol-0123…` → `vol-0123…`, `arn:…:secret:itest/alice/password-AbCdEf` → `itest/alice/password-AbCdEf`.
 */
export function nameOfArn(arn: string): string {
  const resource = /^arn:[^:]*:[^:]*:[^:]*:[^:]*:(.*)$/.exec(arn)?.[1];
  if (resource === undefined) return arn;
  const elb = /^(?:targetgroup|loadbalancer\/(?:app|net)|listener\/app|listener-rule\/app)\/([^/]+)\//.exec(resource);
  if (elb) return resource.startsWith('listener') ? `${resource.split('/')[0]} of ${elb[1]}` : elb[1]!;
  const typed = /^(?:secret|alarm|function|topic):(.+)$/.exec(resource);
  if (typed) return typed[1]!;
  return resource.slice(resource.search(/[^/:]*$/));
}

/** Every ARN in a text replaced by what it names. */
export const withoutArns = (text: string): string => text.replace(/arn:aws[\w-]*:[^\s,;()'"]+/g, nameOfArn);
