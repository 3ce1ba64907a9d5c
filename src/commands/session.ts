import { lookup, Resolver } from 'node:dns/promises';
import type { AwsClients, CallHook } from '../aws/clients.js';
import type { ReadCache } from '../aws/read-once.js';
import { systemClock } from '../aws/wait.js';
import {
  allocate,
  buildModel,
  needsRecordedAllocations,
  type Model,
  type RecordedAllocations,
} from '../config/model.js';
import { configError } from '../errors.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { phaseInfo } from '../phases/index.js';
import type { Context, PhaseName, RunOptions } from '../phases/types.js';
import type { RemoteHost } from '../remote/host.js';
import { acquireLock, type Lock } from '../state/lock.js';
import { StateStore } from '../state/store.js';
import type { AuditTrail } from './audit-trail.js';
import { lockS3State, stateBackend } from './state-location.js';
import { callerIdentity, callerName, commandClients } from './clients.js';
import type { Reporter } from '../ui/events.js';

/** The resolver the system is configured with; a lookup gives up after about 6 s rather than the default minute. */
const publicDns: Context['dns'] = {
  resolveNs: (name) => new Resolver({ timeout: 3_000, tries: 2 }).resolveNs(name),
  lookup: async (name) => (await lookup(name, { all: true })).map((a) => a.address),
  publicAddress: async () => (await import('../remote/reachability.js')).publicAddressFromCheckIp(),
};

export interface SessionOptions {
  configPath: string;
  statePath: string;
  /** Commands that change anything hold the lock; plan and status only read. */
  lock: boolean;
  command: string;
  /** How long to wait for a lock another run holds on a state in S3 (--lock-wait); 0 refuses at once. */
  lockWaitMs?: number;
  /** Kept in the lock in S3 for others to read (--lock-message). */
  lockMessage?: string;
  reporter: Reporter;
  signal: AbortSignal;
  env: Record<string, string | undefined>;
  runOptions?: RunOptions;
  /** Extra hooks on every AWS call (the benchmark's counter, the tests' crash injector). */
  hooks?: CallHook[];
  /** Public DNS lookups; the system's resolver when absent. */
  dns?: Context['dns'];
  /** This run's audit record: armed once the session holds the lock. */
  audit?: AuditTrail;
}

/** Whose credentials these are (STS), read once per run; missing credentials explained. */
/**
 * Everything a command needs: config, lock, state, clients. Built in this order, so bad input fails before any AWS
 * call.
 */
export class Session {
  /** The SSH session of this run: opened by the first phase that needs the host, shared by the rest. */
  private remote?: Promise<RemoteHost>;

  private constructor(
    readonly config: Config,
    readonly state: StateStore,
    readonly aws: AwsClients,
    private readonly lock: Pick<Lock, 'release'> | undefined,
    private readonly o: SessionOptions,
    /** What the phases of this run read once between them. */
    readonly reads: ReadCache,
  ) {}

  /** What the secrets' tags record, once read by `allocateDevelopers`. */
  private recorded: RecordedAllocations | undefined;

  static async open(o: SessionOptions): Promise<Session> {
    const config = await loadConfig(o.configPath);
    // A state in S3 is locked in S3 (below); the local file keeps its pid lock.
    let lock: Pick<Lock, 'release'> | undefined =
      o.lock && !config.state.s3 ? await acquireLock(o.statePath, o.command) : undefined;
    let aws: AwsClients | undefined;
    const reads: ReadCache = new Map();
    try {
      aws = commandClients(config.region, o);
      if (o.lock && config.state.s3) {
        lock = await lockS3State(config, { ...o, who: await callerName(aws, o.env, reads) });
      }
      const binding = { project: config.project, region: config.region, account: config.accountId };
      const state = await StateStore.openFrom(await stateBackend(config, o.statePath, aws), binding);
      if (o.lock) {
        const before = structuredClone(state.data.resources);
        o.audit?.arm({ config, statePath: o.statePath, reads, resources: { before, now: () => state.data.resources } });
      }
      return new Session(config, state, aws, lock, o, reads);
    } catch (err) {
      aws?.destroy();
      await lock?.release();
      throw err;
    }
  }

  /**
   * Whose credentials these are, checked before any phase runs: the account the config expects
   * and the one the state describes (a foreign state is bad input, exit 2). Without this, a
   * single phase or a destroy run with the wrong profile would act on another account. As the
   * first call of every AWS command, it is also where missing credentials or an unreachable
   * endpoint are told apart from everything else.
   */
  async verifyAccount(): Promise<string> {
    const who = await callerIdentity(this.aws, this.o.env, this.reads);
    const account = who.Account ?? '';
    const expected = this.config.accountId;
    if (expected && account !== expected) {
      throw configError(
        `these credentials are for AWS account ${account} (${who.Arn}), but the config expects ${expected}`,
        `use credentials of account ${expected} (AWS_PROFILE …), or change accountId in ${this.o.configPath}`,
      );
    }
    this.state.bindAccount(account);
    return account;
  }

  /**
   * Gives every developer their port and priority: the state's, else the one their secrets' tags
   * record (a lost state, a developer back within the recovery window), else the lowest one nobody
   * holds. AWS is asked only when the state lacks a current developer, so it needs verified
   * credentials then. Saved when anything changed and this command holds the lock; `plan` and
   * `status` only show the result.
   */
  async allocateDevelopers(): Promise<void> {
    const state = this.state.data;
    if (!this.recorded && needsRecordedAllocations(this.config, state)) {
      const { recordedAllocations } = await import('../aws/find/secrets.js');
      this.recorded = await recordedAllocations(this.aws.secrets, this.config.project);
    }
    const next = allocate(this.config, state, this.recorded);
    if (JSON.stringify(next) === JSON.stringify({ allocations: state.allocations, reserved: state.reserved })) return;
    const fromTags = (name: string) =>
      JSON.stringify(this.recorded?.get(name)) === JSON.stringify(next.allocations[name]);
    const recovered = Object.keys(next.allocations).filter(
      (name) => !state.allocations[name] && !state.reserved[name] && fromTags(name),
    );
    state.allocations = next.allocations;
    state.reserved = next.reserved;
    if (!this.o.lock) return;
    if (recovered.length > 0)
      this.o.reporter.emit({
        type: 'step',
        message: `recovered the ports and priorities of ${recovered.join(', ')} from their secrets' tags`,
      });
    await this.state.save();
  }

  /** The environment devenv was started with (credentials, caches, endpoints). */
  get env(): Record<string, string | undefined> {
    return this.o.env;
  }

  get model(): Model {
    return buildModel(this.config, allocate(this.config, this.state.data, this.recorded).allocations);
  }

  context(phase: PhaseName): Context {
    const ctx: Context = {
      phase,
      config: this.config,
      model: this.model,
      state: this.state,
      aws: this.aws,
      report: this.o.reporter.forPhase(phase),
      signal: this.o.signal,
      clock: systemClock,
      reads: this.reads,
      options: this.o.runOptions ?? {},
      env: this.o.env,
      ssh: () => (this.remote ??= this.openRemote(ctx)),
      dns: this.o.dns ?? publicDns,
    };
    return ctx;
  }

  private async openRemote(ctx: Context): Promise<RemoteHost> {
    const { openRemoteHost } = await import('../remote/connect.js');
    // plan and status hold no lock: they may log in, but never record a host key.
    return openRemoteHost(ctx, (line) => this.o.reporter.emit({ type: 'remote-output', line }), {
      recordPin: this.o.lock,
    });
  }

  async loadPhase(name: PhaseName) {
    return phaseInfo(name).load();
  }

  async close(): Promise<void> {
    (await this.remote?.catch(() => undefined))?.close();
    this.aws.destroy();
    await this.lock?.release();
  }
}
