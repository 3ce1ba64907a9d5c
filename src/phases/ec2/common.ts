import type { Context } from '../types.js';

/** What the resource rule needs of a Context, for the ec2 phase. */
export const rule = (ctx: Context) => ({ state: ctx.state, report: ctx.report, phase: 'ec2' });

/** The data volume's device name on the host (an NVMe device on Nitro; the storage phase finds it by serial). */
export const DATA_DEVICE = '/dev/sdf';
