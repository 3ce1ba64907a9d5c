import type { Phase } from './types.js';

const notYet = async (): Promise<never> => {
  throw new Error('validate: being written');
};
const phase: Phase = { name: 'validate', apply: notYet, destroy: notYet, plan: notYet, status: notYet };
export default phase;
