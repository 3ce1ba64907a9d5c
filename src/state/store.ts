import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stateError } from '../errors.js';
import { removeOnExit, writeOwnerOnlyFile } from '../files.js';
import { migrate } from './migrations.js';
import { STATE_SCHEMA_VERSION, stateSchema, type PhaseRecord, type ResourceRecord, type State } from './schema.js';

/** Where a state is kept: the local file (the default) or an S3 object (./s3.ts). */
export interface StateBackend {
  /** Names it in messages: the file's path, or s3://bucket/key. */
  readonly where: string;
  /** The saved state, validated; `undefined` when there is none yet. */
  read(): Promise<State | undefined>;
  /** Replaces it with `text`; refuses (throws) rather than lose a change someone else saved in between. */
  write(text: string): Promise<void>;
}

export const fileBackend = (path: string): StateBackend => ({
  where: path,
  read: () => readState(path),
  write: (text) => writeAtomic(path, text),
});

export interface Binding {
  project: string;
  region: string;
  /** The expected account, when the config names one: checked before any AWS call. */
  account?: string;
}

const RECOVER = (path: string) =>
  `move ${path} aside and run \`devenv up\` again: devenv finds its resources by their tags and adopts them`;

/** The state file: loaded and validated once, saved atomically (0600) after every change. */
export class StateStore {
  private pending: Promise<void> = Promise.resolve();

  /** The queued write nobody has started yet: later saves join it (it writes the data as it is then). */
  private queued: Promise<void> | undefined;

  private constructor(
    private readonly backend: StateBackend,
    readonly data: State,
    /** False for a state started empty because the file does not exist (yet). */
    readonly onDisk: boolean,
  ) {}

  /** The state file's path, or s3://bucket/key for a state in S3. */
  get path(): string {
    return this.backend.where;
  }

  /**
   * Loads `path`, or starts an empty state when it does not exist. Refuses a state of another project, region or
   * account.
   */
  static open(path: string, binding: Binding): Promise<StateStore> {
    return StateStore.openFrom(fileBackend(path), binding);
  }

  /** As `open`, from any backend. */
  static async openFrom(backend: StateBackend, binding: Binding): Promise<StateStore> {
    const path = backend.where;
    const saved = await backend.read();
    const store = new StateStore(backend, saved ?? emptyState(binding), saved !== undefined);
    const data = store.data;
    for (const key of ['project', 'region'] as const) {
      if (data[key] !== binding[key]) {
        throw stateError(
          `${path} belongs to ${key} "${data[key]}", but the config says "${binding[key]}"`,
          `pass the matching --config, or choose another state file with --state`,
        );
      }
    }
    if (binding.account) store.bindAccount(binding.account);
    return store;
  }

  /** Ties the state to the account it describes; a state of another account is refused. */
  bindAccount(account: string): void {
    if (this.data.account && this.data.account !== account) {
      throw stateError(
        `${this.path} describes AWS account ${this.data.account}, but these credentials are for account ${account}`,
        'use the credentials of the account the state describes, or choose another state file with --state',
      );
    }
    this.data.account = account;
  }

  resource(logicalId: string): ResourceRecord | undefined {
    return this.data.resources[logicalId];
  }

  setResource(logicalId: string, record: ResourceRecord): Promise<void> {
    this.data.resources[logicalId] = record;
    return this.save();
  }

  forget(logicalId: string): Promise<void> {
    delete this.data.resources[logicalId];
    return this.save();
  }

  /** Resources that exist (have an id); the others only remember the generation of something deleted. */
  existing(): [string, ResourceRecord][] {
    return Object.entries(this.data.resources).filter(([, r]) => r.id !== undefined);
  }

  /** Resources a phase owns, newest first (the order to delete them in). */
  resourcesOf(phase: string): [string, ResourceRecord][] {
    return Object.entries(this.data.resources)
      .filter(([, r]) => r.phase === phase)
      .reverse();
  }

  phase(name: string): PhaseRecord | undefined {
    return this.data.phases[name];
  }

  setPhase(name: string, status: PhaseRecord['status'], error?: string): Promise<void> {
    const outputs = this.data.phases[name]?.outputs;
    this.data.phases[name] = {
      status,
      updatedAt: new Date().toISOString(),
      ...(error ? { error } : {}),
      ...(outputs ? { outputs } : {}),
    };
    return this.save();
  }

  setOutputs(phase: string, outputs: NonNullable<PhaseRecord['outputs']>): Promise<void> {
    const record = this.data.phases[phase] ?? { status: 'running', updatedAt: new Date().toISOString() };
    this.data.phases[phase] = { ...record, outputs: { ...record.outputs, ...outputs } };
    return this.save();
  }

  clearPhase(name: string): Promise<void> {
    delete this.data.phases[name];
    return this.save();
  }

  /**
   * Writes the state atomically. Saves are queued, so concurrent phases never interleave writes;
   * saves made while a write is in flight share the one next write (it carries all of their changes),
   * so a slow backend (S3) costs one write per round, not one per change.
   */
  save(): Promise<void> {
    if (this.queued) return this.queued;
    const write = async () => {
      this.queued = undefined;
      this.data.updatedAt = new Date().toISOString();
      await this.backend.write(`${JSON.stringify(this.data, null, 2)}\n`);
    };
    const next = this.pending.then(write, write);
    this.queued = next;
    this.pending = next;
    return next;
  }
}

export function emptyState(binding: Binding): State {
  const now = new Date().toISOString();
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    project: binding.project,
    region: binding.region,
    ...(binding.account ? { account: binding.account } : {}),
    createdAt: now,
    updatedAt: now,
    phases: {},
    allocations: {},
    reserved: {},
    resources: {},
  };
}

/** Reads and validates a state file; `undefined` when there is none. */
export async function readState(path: string): Promise<State | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw stateError(`${path}: cannot read the state file (${(err as Error).message})`);
  }
  return parseState(text, path);
}

/** Parses and validates a state's text; `recover` is the fix a broken one is told with. */
export function parseState(text: string, path: string, recover = RECOVER(path)): State {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw stateError(
      `${path} is not valid JSON (${(err as Error).message}); it may have been truncated or edited by hand`,
      recover,
    );
  }
  const result = stateSchema.safeParse(migrate(raw, path));
  if (!result.success) {
    const where = result.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`)
      .join('; ');
    throw stateError(`${path} is not a devenv state file (${where})`, recover);
  }
  return result.data;
}

let tmpCounter = 0;

export async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${tmpCounter++}`;
  const done = removeOnExit(tmp);
  try {
    await writeOwnerOnlyFile(tmp, content, 'wx');
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  } finally {
    done();
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
