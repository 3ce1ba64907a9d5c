import { z } from 'zod';

export const STATE_SCHEMA_VERSION = 1;

const unique = (values: number[]) => new Set(values).size === values.length;

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** One AWS resource devenv owns, keyed in the state by its logical id (`vpc`, `subnet/a`, `sg/host` …). */
export const resourceRecordSchema = z
  .object({
    kind: z.string().describe('what it is, for people: "VPC", "security group" …'),
    phase: z.string().describe('the phase that owns it'),
    id: z.string().optional().describe('AWS id or ARN; absent while a create is in flight'),
    token: z.string().optional().describe('idempotency token, written before the create call'),
    generation: z.number().int().min(0).optional().describe('bumped when the resource is deliberately replaced'),
    developer: z.string().optional(),
    attrs: z.record(z.string(), z.union([scalar, z.array(z.string())])).optional(),
  })
  .strict();

export const phaseRecordSchema = z
  .object({
    status: z.enum(['running', 'complete', 'failed']),
    updatedAt: z.string(),
    error: z.string().optional(),
    outputs: z.record(z.string(), scalar).optional(),
  })
  .strict();

export const stateSchema = z
  .object({
    schemaVersion: z.literal(STATE_SCHEMA_VERSION),
    project: z.string(),
    region: z.string(),
    account: z.string().regex(/^\d{12}$/).optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    phases: z.record(z.string(), phaseRecordSchema),
    allocations: z
      .record(z.string(), z.object({ port: z.number().int(), priority: z.number().int() }).strict())
      .refine((a) => unique(Object.values(a).map((x) => x.port)) && unique(Object.values(a).map((x) => x.priority)), {
        message: 'two developers share a port or a rule priority',
      }),
    resources: z.record(z.string(), resourceRecordSchema),
  })
  .strict();

export type State = z.infer<typeof stateSchema>;
export type ResourceRecord = z.infer<typeof resourceRecordSchema>;
export type PhaseRecord = z.infer<typeof phaseRecordSchema>;
