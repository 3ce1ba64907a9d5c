export const PHASE_NAMES = [
  'validate',
  'vpc',
  'sg',
  'iam',
  'secrets',
  'ec2',
  'storage',
  'containers',
  'cert',
  'cognito',
  'alb',
  'https',
  'gate',
  'dns',
  'monitoring',
  'schedule',
  'wake',
  'test',
] as const;
/** `teardown` is no step of `up`: it is what `destroy` ends with (src/phases/teardown.ts). */
export type PhaseName = (typeof PHASE_NAMES)[number] | 'teardown';
