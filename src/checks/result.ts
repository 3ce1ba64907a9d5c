import { table } from '../table.js';

export type TestCheckVerdict = 'pass' | 'warn' | 'fail' | 'skip';

/** One line of the test phase's table. */
export interface TestCheckResult {
  /** The developer the check is about; absent for the host's own checks. */
  developer?: string;
  check: string;
  verdict: TestCheckVerdict;
  /** What was seen. Never a secret. */
  detail: string;
  /** On a warning or failure: what to look at. */
  lookAt?: string;
}

export const pass = (check: string, detail: string): TestCheckResult => ({ check, verdict: 'pass', detail });
export const fail = (check: string, detail: string, lookAt: string): TestCheckResult => ({
  check,
  verdict: 'fail',
  detail,
  lookAt,
});
export const warn = (check: string, detail: string, lookAt: string): TestCheckResult => ({
  check,
  verdict: 'warn',
  detail,
  lookAt,
});
export const skip = (check: string, detail: string): TestCheckResult => ({ check, verdict: 'skip', detail });

export const forDeveloper = (developer: string, results: TestCheckResult[]): TestCheckResult[] =>
  results.map((r) => ({ developer, ...r }));

const MARK: Record<TestCheckVerdict, string> = { pass: 'ok', warn: 'WARN', fail: 'FAIL', skip: 'skipped' };

export function resultsTable(results: TestCheckResult[]): string {
  return table(
    ['developer', 'check', 'result', 'detail'],
    results.map((r) => [r.developer ?? '(host)', r.check, MARK[r.verdict], r.detail]),
  );
}

/** `dev3 login: the password was refused → look at …`, one line per failure or warning. */
export function describeProblems(results: TestCheckResult[]): string[] {
  return results
    .filter((r) => r.verdict === 'fail' || r.verdict === 'warn')
    .map((r) => `${r.developer ?? 'host'} ${r.check}: ${r.detail}${r.lookAt ? ` → ${r.lookAt}` : ''}`);
}
