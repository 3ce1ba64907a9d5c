/** A duration for people: `45s`, `2m05s`. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** `90s`, `5m`, `1h30m` (or a bare number of seconds) in milliseconds; `undefined` when it is none of these. */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$/.exec(text.trim());
  if (!m || !text.trim()) return undefined;
  const [h = '0', min = '0', s = '0'] = m.slice(1);
  return ((Number(h) * 60 + Number(min)) * 60 + Number(s)) * 1000;
}
