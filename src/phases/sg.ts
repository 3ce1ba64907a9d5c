import type { Phase } from './types.js';

const notYet = async (): Promise<never> => {
  throw new Error('sg: being written');
};
const phase: Phase = { name: 'sg', apply: notYet, destroy: notYet, plan: notYet, status: notYet };
export default phase;
