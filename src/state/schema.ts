import { z } from 'zod';

export const STATE_SCHEMA_VERSION = 2;

const allocationSchema = z.object({ port: z.number().int(), priority: z.number().int() }).strict();

const unique = (all: { port: number; priority: number }[]) =>
  new Set(all.map((a) => a.port)).size === all.length && new Set(all.map((a) => a.priority)).size === all.length;

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
    status: z
      .enum(['running', 'complete', 'failed', 'skipped'])
      .describe('skipped: left out by `up --skip` and not complete from an earlier run'),
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
    account: z
      .string()
      .regex(/^\d{12}$/)
      .optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    phases: z.record(z.string(), phaseRecordSchema),
    allocations: z.record(z.string(), allocationSchema).describe("the current developers' ports and rule priorities"),
    reserved: z
      .record(z.string(), allocationSchema)
      .describe("removed developers' allocations, held while their secrets are kept"),
    resources: z.record(z.string(), resourceRecordSchema),
    hostKey: z
      .object({ instanceId: z.string(), fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]+$/) })
      .strict()
      .optional()
      .describe(
        "the host's SSH key, verified at the first login to this instance (its console, ssh.hostKeyFingerprint or " +
          '--accept-new-host-key); a new instance starts a new pin',
      ),
  })
  .strict()
  .refine((s) => unique([...Object.values(s.allocations), ...Object.values(s.reserved)]), {
    message: 'two developers share a port or a rule priority',
    path: ['allocations'],
  });

export type State = z.infer<typeof stateSchema>;
export type ResourceRecord = z.infer<typeof resourceRecordSchema>;
export type PhaseRecord = z.infer<typeof phaseRecordSchema>;
