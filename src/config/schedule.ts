import { z } from 'zod';

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

/** The days of `MON-FRI` / `MON,WED,FRI` / `SUN-SAT` as numbers (0 = Sunday), or undefined when malformed. */
export function parseDays(text: string): number[] | undefined {
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const [from, to, extra] = part.split('-');
    const a = DAY_NAMES.indexOf(from as (typeof DAY_NAMES)[number]);
    const b = to === undefined ? a : DAY_NAMES.indexOf(to as (typeof DAY_NAMES)[number]);
    if (extra !== undefined || a < 0 || b < 0 || b < a) return undefined;
    for (let d = a; d <= b; d++) days.add(d);
  }
  return [...days].sort();
}

/** True for a zone name the IANA database (as Node ships it) knows. */
export const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone !== '' && !/^[+-]/.test(zone);
  } catch {
    return false;
  }
};

/** How the IANA database spells a zone that Node also accepts in another case (`europe/berlin` → `Europe/Berlin`). */
const ianaSpelling = (zone: string): string => {
  const resolved = new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  return resolved.toLowerCase() === zone.toLowerCase() ? resolved : zone;
};

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be a time of day such as 08:00 (24 h)' });

export const scheduleSchema = z
  .object({
    timezone: z
      .string()
      .refine(isTimeZone, { message: 'is not an IANA time zone such as Asia/Bangkok or Europe/Berlin' })
      .superRefine((zone, ctx) => {
        const spelled = isTimeZone(zone) ? ianaSpelling(zone) : zone;
        if (spelled !== zone) {
          ctx.addIssue({
            code: 'custom',
            message:
              `is spelled ${spelled} in the IANA database: write it so ` +
              '(the Scheduler is given the zone as written)',
          });
        }
      })
      .default('UTC')
      .describe('the IANA time zone of `start` and `stop` (`Asia/Bangkok`); daylight saving follows it'),
    days: z
      .string()
      .refine((d) => parseDays(d) !== undefined, {
        message:
          'must be days such as MON-FRI, MON,WED,FRI or SUN-SAT (every day): SUN MON TUE WED THU FRI SAT, ' +
          'a range from an earlier to a later day of that week',
      })
      .default('MON-FRI')
      .describe('the working days: `MON-FRI`, `MON,WED,FRI`, `SUN-SAT`'),
    start: clock.optional().describe('when the host starts on a working day (`08:00`)'),
    stop: clock.optional().describe('when the host stops on a working day (`20:00`)'),
    idleStopMinutes: z
      .number()
      .int({ message: 'must be a whole number of minutes' })
      .min(15, { message: 'must be at least 15 minutes' })
      .max(1440, { message: 'must be at most 1440 minutes (a day)' })
      .optional()
      .describe('stop the host when no developer has had their editor open for this long; off when absent'),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.start === undefined) !== (s.stop === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [s.start === undefined ? 'start' : 'stop'],
        message: 'is required with the other of start/stop (office hours need both)',
      });
    else if (s.start !== undefined && s.start === s.stop)
      ctx.addIssue({ code: 'custom', path: ['stop'], message: 'must differ from start' });
  })
  .optional()
  .describe('office hours and idle stop: the host runs only when it is used ([Cost](#cost-an-estimate))');

export type ScheduleConfig = NonNullable<z.output<typeof scheduleSchema>>;
