import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Command, CommanderError } from 'commander';
import { DEFAULT_CONFIG_PATH, DEFAULT_STATE_PATH } from './defaults.js';
import { parseDuration } from './duration.js';
import { DevenvError, ExitCode, exitCodeFor, messageOf } from './errors.js';
import { PHASE_NAMES, type PhaseName } from './phases/types.js';
import { APPLY_FLAGS, DESTROY_FLAGS, flagValues, withFlags, type FlagTable, type RunOptions } from './run-options.js';
import { runBeforeQuit } from './state/quit.js';
import { CREDENTIAL_FORMATS } from './secrets/credential-files.js';
import type { AuditTrail, Invocation } from './commands/audit-trail.js';
import type { Session } from './commands/session.js';
import { Reporter } from './ui/events.js';
import type { Io } from './ui/io.js';

interface GlobalFlags {
  config: string;
  state: string;
  json: boolean;
  verbose: boolean;
  yes: boolean;
  lockWait?: string;
  lockMessage?: string;
}

/** Flags of `up` alone, besides those of `up` and `phase` (APPLY_FLAGS). */
const UP_FLAGS = {
  skip: {
    flag: '--skip <phases>',
    description:
      'comma-separated phases not to run this time, with the phases that need them (storage,containers: no SSH to ' +
      'the host)',
  },
} as const satisfies FlagTable;

const WIDE = { flag: '--wide', description: 'every column, ARNs and ids whole, however wide' } as const;
const STATUS_FLAGS = { wide: WIDE } as const satisfies FlagTable;
const PLAN_FLAGS = {
  offline: {
    flag: '--offline',
    description: 'render the plan from the config (and the state file, for the ports): no AWS credentials, no calls',
  },
  detailedExitcode: {
    flag: '--detailed-exitcode',
    description: 'exit 0 when there is nothing to change, 2 when there is, 1 on any error (for CI drift checks)',
  },
  all: { flag: '--all', description: 'list every resource, also those as planned' },
  wide: WIDE,
} as const satisfies FlagTable;

const INIT_FLAGS = {
  fromEnv: { flag: '--from-env <file>', description: 'convert this .env file (section 0.2 of the shell scripts)' },
  output: { flag: '--output <file>', description: 'where to write the config', default: DEFAULT_CONFIG_PATH },
  force: { flag: '--force', description: 'overwrite an existing file' },
} as const satisfies FlagTable;

const CREDENTIALS_EXPORT_FLAGS = {
  out: { flag: '--out <dir>', description: 'the folder to write to (default: ./credentials, created 0700)' },
  force: { flag: '--force', description: 'replace files that exist' },
  developer: {
    flag: '--developer <name>',
    description: "print this developer's login to stdout instead of writing files",
  },
  format: {
    flag: '--format <format>',
    description: 'the format of each login',
    choices: CREDENTIAL_FORMATS,
    default: 'txt',
  },
} as const satisfies FlagTable;

/** Flags of the day-2 commands that log in to the host: ssh, exec, logs (without CloudWatch), restart. */
const LOGIN_FLAGS = { acceptNewHostKey: APPLY_FLAGS.acceptNewHostKey } as const satisfies FlagTable;

/** The run options of `up` and `phase`, refusing values that cannot work before anything runs. */
function applyRunOptions(parsed: Record<string, unknown>): RunOptions {
  const o = flagValues(APPLY_FLAGS, parsed);
  if (o.adoptDataVolume !== undefined && o.newDataVolume) {
    throw new DevenvError('config', '--adopt-data-volume and --new-data-volume exclude each other', {
      remedy: 'adopt a restored volume, or accept an empty one: pass one of the two',
    });
  }
  if (o.adoptDataVolume !== undefined && !/^vol-[0-9a-f]{8,17}$/.test(o.adoptDataVolume)) {
    throw new DevenvError('config', `--adopt-data-volume: "${o.adoptDataVolume}" is not an EBS volume id`, {
      remedy: 'pass an id like vol-0123456789abcdef0 (aws ec2 describe-volumes lists them)',
    });
  }
  if (o.resolve !== undefined && !isIP(o.resolve)) {
    throw new DevenvError('config', `--resolve: "${o.resolve}" is not an IP address`, {
      remedy: "pass one of the load balancer's addresses, e.g. from `dig +short <its DNS name>`",
    });
  }
  return o;
}

/** `plan --detailed-exitcode` with changes to make (as terraform's); every error then exits 1. */
const DETAILED_EXIT_CHANGES = 2;

const processIo = (): Io => ({
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  // A terminal that reports no width (some pseudo-terminals) makes a spinner's redraw misbehave: treat it as a pipe.
  isTTY: Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0,
  signals: process,
});

/** Runs the CLI and returns the exit code; never calls process.exit. */
export async function run(argv: string[], io: Io = processIo()): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : ExitCode.badInput;
    throw err;
  }
  return exitCode;
}

function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('devenv')
    .description('Stand up, check and tear down a multi-developer code-server environment on AWS')
    .version(packageVersion(), '--version', 'print the version of devenv')
    .option('--config <file>', 'config file', DEFAULT_CONFIG_PATH)
    .option('--state <file>', 'state file', DEFAULT_STATE_PATH)
    .option('--json', 'machine-readable output (JSON lines)', false)
    .option('--verbose', 'log every AWS call', false)
    .option('--yes', 'do not ask for confirmation', false)
    .option('--lock-wait <duration>', 'with the state in S3: wait this long (5m, 90s) for a lock another run holds')
    .option('--lock-message <text>', 'with the state in S3: a note kept in the lock for others to read (why you run)')
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true }) // `status --help` lists --json, --config …
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  // What was run, for the audit trail: the command's path, its arguments and the flags given on the command line.
  let invocation: Invocation | undefined;
  program.hook('preAction', (_, actionCommand) => {
    const path: string[] = [];
    for (let c: Command | null = actionCommand; c && c !== program; c = c.parent) path.unshift(c.name());
    const given = (c: Command) =>
      Object.fromEntries(Object.entries(c.opts()).filter(([key]) => c.getOptionValueSource(key) === 'cli'));
    invocation = {
      command: path.join(' '),
      args: [...actionCommand.args],
      flags: { ...given(program), ...given(actionCommand) },
    };
  });
  /** The audit record of this run, for a command that changes something (commands/audit-trail.ts). */
  let trail: AuditTrail | undefined;

  /** Runs a command with its renderer and Ctrl-C handling, and turns its error into output and an exit code. */
  const action = async (
    fn: (flags: GlobalFlags, reporter: Reporter, signal: AbortSignal) => Promise<void>,
    o: { errorExit?: number } = {},
  ): Promise<void> => {
    const flags = program.opts<GlobalFlags>();
    const { chooseRendererKind, createRenderer } = await import('./ui/renderers.js'); // ora is heavy: not for --help
    const color = !('NO_COLOR' in io.env) && io.isTTY;
    const kind = chooseRendererKind({
      json: flags.json,
      isTTY: io.isTTY,
      ci: io.env.CI === 'true',
      verbose: flags.verbose,
    });
    const reporter = new Reporter(createRenderer(io, { kind, verbose: flags.verbose, color }));
    const interrupt = interruptHandler(io, reporter, endsOnCtrlC(invocation));
    const audit = await import('./commands/audit-trail.js');
    if (invocation && audit.AUDITED_COMMANDS.includes(invocation.command))
      trail = new audit.AuditTrail(invocation, { reporter, env: io.env, hooks: io.hooks });
    let exit: number = ExitCode.ok;
    try {
      await fn(flags, reporter, interrupt.signal);
    } catch (err) {
      const code = exitCodeFor(err);
      exit = o.errorExit !== undefined && code !== ExitCode.interrupted ? o.errorExit : code;
      setExit(exit);
      reportError(io, flags, err);
    } finally {
      await trail?.finish(exit);
      interrupt.dispose();
      reporter.close();
    }
  };
  /** What every command that reads the config and the state takes from the global flags and this run. */
  const stateOptions = (flags: GlobalFlags, reporter: Reporter, signal: AbortSignal) => ({
    configPath: flags.config,
    statePath: flags.state,
    reporter,
    signal,
    env: io.env,
    hooks: io.hooks,
    audit: trail,
  });
  /** --lock-wait and --lock-message, for the commands that may take the state's lock. */
  const lockFlags = (flags: GlobalFlags) => ({
    lockWaitMs: lockWaitMs(flags),
    ...(flags.lockMessage ? { lockMessage: flags.lockMessage } : {}),
  });
  /** Runs `fn` in a session of this command (holding the state's lock when `lock`), closed whatever happens. */
  const withSession = async <T>(
    flags: GlobalFlags,
    reporter: Reporter,
    signal: AbortSignal,
    o: { command: string; lock: boolean; runOptions?: RunOptions },
    fn: (session: Session) => Promise<T>,
  ): Promise<T> => {
    const { Session } = await import('./commands/session.js');
    const session = await Session.open({
      ...stateOptions(flags, reporter, signal),
      ...lockFlags(flags),
      ...o,
      dns: io.dns,
    });
    try {
      return await fn(session);
    } finally {
      await session.close();
    }
  };

  withFlags(
    program.command('init').description("write a starting devenv.config.json, or convert the shell scripts' .env"),
    INIT_FLAGS,
  ).action(async (parsed: Record<string, unknown>) =>
    action(async () => {
      const { init } = await import('./commands/init.js');
      for (const note of await init(flagValues(INIT_FLAGS, parsed))) io.stderr.write(`${note}\n`);
    }),
  );

  withFlags(
    program.command('plan').description('show what `up` would create, adopt, change or delete (read-only)'),
    PLAN_FLAGS,
  ).action(async (parsed: Record<string, unknown>) => {
    const o = flagValues(PLAN_FLAGS, parsed);
    return action(
      async (flags, reporter, signal) => {
        const { hasChanges, offlinePlan, onlinePlan } = await import('./commands/plan.js');
        const result = o.offline
          ? await offlinePlan(flags.config, flags.state, flags.json, io.env)
          : await withSession(flags, reporter, signal, { command: 'plan', lock: false }, (s) =>
              onlinePlan(s, { json: flags.json, all: o.all, wide: o.wide }),
            );
        io.stdout.write(`${result.output}\n`);
        if ('failure' in result && result.failure) throw result.failure;
        if (o.detailedExitcode && hasChanges(result.summary!)) setExit(DETAILED_EXIT_CHANGES);
      },
      o.detailedExitcode ? { errorExit: ExitCode.phaseFailed } : {},
    );
  });

  withFlags(
    program.command('up').description('converge every phase in dependency order, resuming from the state file'),
    { ...APPLY_FLAGS, ...UP_FLAGS },
  ).action(async (o: Record<string, unknown>) =>
    action(async (flags, reporter, signal) => {
      const { converge, phasesWithout } = await import('./commands/up.js');
      const { skip } = flagValues(UP_FLAGS, o);
      const names = skip
        ? phasesWithout(
            skip
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
            reporter,
          )
        : [...PHASE_NAMES];
      const skipped = PHASE_NAMES.filter((n) => !names.includes(n));
      const runOptions = applyRunOptions(o);
      await withSession(flags, reporter, signal, { command: 'up', lock: true, runOptions }, (s) =>
        converge(s, reporter, names, signal, skipped, { io, yes: flags.yes }),
      );
    }),
  );

  withFlags(
    program
      .command('phase')
      .description(`converge one phase: ${PHASE_NAMES.join(', ')}`)
      .argument('<name>', 'phase name'),
    APPLY_FLAGS,
  ).action(async (name: string, o: Record<string, unknown>) =>
    action(async (flags, reporter, signal) => {
      if (!(PHASE_NAMES as readonly string[]).includes(name)) {
        const { useInstead, guessFor } = await import('./config/issues.js');
        throw new DevenvError('config', `unknown phase "${name}"${guessFor(name, [...PHASE_NAMES])}`, {
          remedy: useInstead(name, [...PHASE_NAMES]),
        });
      }
      const { converge } = await import('./commands/up.js');
      const runOptions = applyRunOptions(o);
      await withSession(flags, reporter, signal, { command: `phase ${name}`, lock: true, runOptions }, (s) =>
        converge(s, reporter, [name as PhaseName], signal, [], { io, yes: flags.yes }),
      );
    }),
  );

  withFlags(
    program.command('status').description('live table of every resource and every developer'),
    STATUS_FLAGS,
  ).action(async (parsed: Record<string, unknown>) =>
    action(async (flags, reporter, signal) => {
      const { status } = await import('./commands/status.js');
      const { wide } = flagValues(STATUS_FLAGS, parsed);
      const result = await withSession(flags, reporter, signal, { command: 'status', lock: false }, (s) =>
        status(s, { json: flags.json, wide }),
      );
      io.stdout.write(`${result.output}\n`);
      if (result.failure) throw result.failure;
    }),
  );

  withFlags(
    program.command('destroy').description('remove everything devenv created, in reverse order'),
    DESTROY_FLAGS,
  ).action(async (o: Record<string, unknown>) =>
    action(async (flags, reporter, signal) => {
      const { destroy } = await import('./commands/destroy.js');
      const runOptions: RunOptions = flagValues(DESTROY_FLAGS, o);
      await withSession(flags, reporter, signal, { command: 'destroy', lock: true, runOptions }, (s) =>
        destroy(s, reporter, signal, { io, yes: flags.yes, options: runOptions }),
      );
    }),
  );

  const credentials = program
    .command('credentials')
    .description("the developers' code-server logins: export them, rotate a password");
  withFlags(
    credentials
      .command('export')
      .description(
        "write each developer's URL and password (files 0600 in a 0700 folder) and a combined CSV, or print one " +
          "developer's",
      ),
    CREDENTIALS_EXPORT_FLAGS,
  ).action(async (parsed: Record<string, unknown>) =>
    action(async (flags, reporter, signal) => {
      const { exportCredentials } = await import('./commands/credentials-export.js');
      const o = flagValues(CREDENTIALS_EXPORT_FLAGS, parsed);
      await withSession(flags, reporter, signal, { command: 'credentials export', lock: false }, (s) =>
        exportCredentials(s, o, io.stdout, reporter),
      );
    }),
  );
  credentials
    .command('rotate')
    .description('give a developer a new password and restart their container with it (the old one stops working)')
    .argument('<developer>', "the developer's name")
    .action(async (developer: string) =>
      action(async (flags, reporter, signal) => {
        const { rotatePassword } = await import('./commands/credentials-rotate.js');
        await withSession(flags, reporter, signal, { command: 'credentials rotate', lock: true }, (s) =>
          rotatePassword(s, developer, reporter),
        );
      }),
    );

  program
    .command('auth')
    .description('sign-in with an identity provider (auth in the config)')
    .command('callbacks')
    .description(
      'the callback URL of every developer (https://<name>.<baseDomain>/oauth2/idpresponse), to register at the OIDC ' +
        "provider's app; from the config alone, no AWS call",
    )
    .action(() =>
      action(async (flags) => {
        const { authCallbacks } = await import('./commands/auth-callbacks.js');
        io.stdout.write(`${await authCallbacks(flags.config, flags.json)}\n`);
      }),
    );

  const stateCommand = program
    .command('state')
    .description('keep the state in S3 (state.s3 in the config): create its bucket, move a local state there and back');
  const stateAction = (name: 'bootstrap' | 'push' | 'pull') => () =>
    action(async (flags, reporter, signal) => {
      const commands = await import('./commands/state.js');
      await commands[name]({ ...stateOptions(flags, reporter, signal), ...lockFlags(flags) });
    });
  stateCommand
    .command('bootstrap')
    .description(
      'create the state bucket (versioning, default encryption, public access blocked, TLS only, tags), or complete it',
    )
    .action(stateAction('bootstrap'));
  stateCommand
    .command('push')
    .description('copy the local state file (--state) to S3; refused when the one in S3 is newer')
    .action(stateAction('push'));
  stateCommand
    .command('pull')
    .description('copy the state in S3 to the local file (--state); refused when the local one is newer')
    .action(stateAction('pull'));

  program
    .command('output')
    .description(
      "for scripts: the load balancer's DNS name, the host's address and instance id, the data volume, each URL " +
        '(`urls.<developer>`), from the state; one by name prints its bare value',
    )
    .argument('[name]', 'loadBalancerDns, hostAddress, instanceId, dataVolumeId, urls or urls.<developer>')
    .action((name: string | undefined) =>
      action(async (flags, reporter, signal) => {
        const { outputs, renderOutput } = await import('./commands/output.js');
        const text = await withSession(flags, reporter, signal, { command: 'output', lock: false }, async (s) =>
          renderOutput(outputs(s), name, flags.json),
        );
        io.stdout.write(`${text}\n`);
      }),
    );

  program
    .command('cost')
    .description(
      'what the project cost in a month, by Cost Explorer (the Project tag), beside the estimate and each ' +
        "developer's share; each run costs $0.02 in Cost Explorer requests",
    )
    .option('--month <YYYY-MM>', 'the month (the last whole month when absent)')
    .action((o: { month?: string }) =>
      action(async (flags, reporter, signal) => {
        const { costReport, lastMonth, monthRange, renderCost } = await import('./commands/cost.js');
        const now = new Date();
        const month = o.month ?? lastMonth(now);
        monthRange(month); // a malformed month is refused before any AWS call
        const report = await withSession(flags, reporter, signal, { command: 'cost', lock: false }, (s) =>
          costReport(s, month, now),
        );
        io.stdout.write(`${flags.json ? JSON.stringify(report) : renderCost(report)}\n`);
      }),
    );

  // The day-2 commands: a shell on the host, a command in a container, a container's log, a restart. Global flags
  // (--config, --state) go before `--`: what follows it is the command.
  withFlags(program.command('ssh'), LOGIN_FLAGS)
    .description(
      'a shell on the host (or `-- command`, exiting with its code) as ssh.user, with the recorded key and ' +
        "the host's pinned key",
    )
    .argument('[command...]', 'after --: a command line to run on the host instead of a shell')
    .action((command: string[], o: Record<string, unknown>) =>
      action(async (flags, reporter, signal) => {
        const { ssh } = await import('./commands/ssh.js');
        const runOptions = flagValues(LOGIN_FLAGS, o);
        setExit(
          await withSession(flags, reporter, signal, { command: 'ssh', lock: false, runOptions }, (s) =>
            ssh(s, command, io),
          ),
        );
      }),
    );
  withFlags(program.command('exec'), LOGIN_FLAGS)
    .description("a login shell in a developer's container (or `-- command`, exiting with its code)")
    .argument('<developer>', "the developer's name")
    .argument('[command...]', 'after --: the command and its arguments, as `docker exec` takes them')
    .action((developer: string, command: string[], o: Record<string, unknown>) =>
      action(async (flags, reporter, signal) => {
        const { exec } = await import('./commands/exec.js');
        const runOptions = flagValues(LOGIN_FLAGS, o);
        setExit(
          await withSession(flags, reporter, signal, { command: 'exec', lock: false, runOptions }, (s) =>
            exec(s, developer, command, io),
          ),
        );
      }),
    );
  withFlags(program.command('logs'), LOGIN_FLAGS)
    .description(
      "a developer's container log, from CloudWatch Logs (the monitoring phase's group), else `docker logs` on " +
        'the host',
    )
    .argument('<developer>', "the developer's name")
    .option('--since <duration>', 'how far back (90s, 30m, 2h)', '1h')
    .option('--follow', 'keep printing new lines until Ctrl-C', false)
    .option('--grep <text>', 'only the lines holding this text (as it is: case and all)')
    .action((developer: string, o: { since: string; follow: boolean; grep?: string } & Record<string, unknown>) =>
      action(async (flags, reporter, signal) => {
        const sinceMs = parseDuration(o.since);
        if (!sinceMs)
          throw new DevenvError('config', `--since: "${o.since}" is not a duration`, {
            remedy: 'pass one like 90s, 30m or 2h',
          });
        const { logs } = await import('./commands/logs.js');
        const runOptions = flagValues(LOGIN_FLAGS, o);
        const filter = { sinceMs, follow: o.follow, ...(o.grep ? { grep: o.grep } : {}) };
        setExit(
          await withSession(flags, reporter, signal, { command: 'logs', lock: false, runOptions }, (s) =>
            logs(s, developer, filter, io),
          ),
        );
      }),
    );
  withFlags(program.command('restart'), LOGIN_FLAGS)
    .description("restart one developer's container (the others keep running) and wait until it is healthy again")
    .argument('<developer>', "the developer's name")
    .action((developer: string, o: Record<string, unknown>) =>
      action(async (flags, reporter, signal) => {
        const { restart } = await import('./commands/restart.js');
        const runOptions = flagValues(LOGIN_FLAGS, o);
        await withSession(flags, reporter, signal, { command: `restart ${developer}`, lock: true, runOptions }, (s) =>
          restart(s, developer, reporter),
        );
      }),
    );

  program
    .command('sleep')
    .description('stop the host now (asks unless --yes, saying who used their editor lately); `wake` starts it')
    .action(() =>
      action(async (flags, reporter, signal) => {
        const { sleep } = await import('./commands/sleep.js');
        const said = await withSession(flags, reporter, signal, { command: 'sleep', lock: true }, (s) =>
          sleep(s, { yes: flags.yes, io }),
        );
        io.stdout.write(`${said}\n`);
      }),
    );
  program
    .command('wake')
    .description("start the host; with --wait, return once every developer's editor answers")
    .option('--wait', "wait (at most 10 minutes) until every developer's target is healthy", false)
    .action((o: { wait: boolean }) =>
      action(async (flags, reporter, signal) => {
        const { wake } = await import('./commands/sleep.js');
        const said = await withSession(flags, reporter, signal, { command: 'wake', lock: true }, (s) => wake(s, o));
        io.stdout.write(`${said}\n`);
      }),
    );

  const lockCommand = program
    .command('lock')
    .description('the lock of a state in S3 (state.s3 in the config): who holds it, and breaking a stale one');
  lockCommand
    .command('status')
    .description('who holds the lock, on which machine, for which command, since when, and whether it is stale')
    .action(() =>
      action(async (flags, reporter, signal) => {
        const { lockStatus } = await import('./commands/lock.js');
        io.stdout.write(`${await lockStatus(stateOptions(flags, reporter, signal), flags.json)}\n`);
      }),
    );
  lockCommand
    .command('release')
    .description('break the lock another run holds (asks unless --yes) and record who broke it')
    .option('--force', 'required: releasing a lock a live run holds lets two runs change the same things', false)
    .action((o: { force: boolean }) =>
      action(async (flags, reporter, signal) => {
        const { releaseLock } = await import('./commands/lock.js');
        await releaseLock(stateOptions(flags, reporter, signal), { force: o.force, yes: flags.yes, io });
      }),
    );

  program
    .command('audit')
    .description('the runs that changed something, newest first: who, when, the command, its exit code, what changed')
    .option('--since <when>', 'only runs started since then: 7d, 12h, 30m, or a date (2026-12-01)')
    .option('--developer <name>', "only runs that changed this developer's resources or named them")
    .action((o: { since?: string; developer?: string }) =>
      action(async (flags, reporter, signal) => {
        const { listAudit } = await import('./commands/audit.js');
        io.stdout.write(`${await listAudit(stateOptions(flags, reporter, signal), { ...o, json: flags.json })}\n`);
      }),
    );

  return program;
}

/** --lock-wait in milliseconds (0 when not given); a value that is no duration is bad input. */
function lockWaitMs(flags: GlobalFlags): number {
  if (flags.lockWait === undefined) return 0;
  const ms = parseDuration(flags.lockWait);
  if (ms === undefined) {
    throw new DevenvError('config', `--lock-wait: "${flags.lockWait}" is not a duration`, {
      remedy: 'pass one like 5m, 90s or 1h',
    });
  }
  return ms;
}

/**
 * The version in package.json (one folder up from src/ and dist/ alike); read here so --version never loads the SDK.
 */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** A command whose normal end is Ctrl-C (`logs --follow`): nothing is said of a run cut short. */
const endsOnCtrlC = (i: Invocation | undefined): boolean => i?.command === 'logs' && i.flags.follow === true;

/**
 * First Ctrl-C (or SIGTERM): no new AWS call starts, the one in flight finishes, the state is
 * saved. Second: quit at once (the lock file is removed on the way out: see state/lock.ts; a lock in S3 is
 * released first, given 3 s at most: see state/quit.ts). A third quits without waiting for that.
 * `quiet`: the first says nothing (see endsOnCtrlC).
 */
function interruptHandler(io: Io, reporter: Reporter, quiet: boolean): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let quitting = false;
  const onSignal = () => {
    if (quitting) process.exit(ExitCode.interrupted);
    if (controller.signal.aborted) {
      quitting = true;
      void runBeforeQuit().finally(() => process.exit(ExitCode.interrupted));
      return;
    }
    if (!quiet)
      reporter.emit({
        type: 'warn',
        message:
          'interrupted: finishing the AWS call in flight and saving the state; press Ctrl-C again to quit at once',
      });
    controller.abort();
  };
  for (const name of ['SIGINT', 'SIGTERM']) io.signals?.on(name, onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const name of ['SIGINT', 'SIGTERM']) io.signals?.off(name, onSignal);
    },
  };
}

/** A fix as a whole sentence: a capital letter first, a full stop at the end. */
const sentence = (text: string): string => {
  const t = text.trim();
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
};

function reportError(io: Io, flags: GlobalFlags, err: unknown): void {
  const remedy = err instanceof DevenvError ? err.remedy : undefined;
  if (flags.json) {
    io.stdout.write(
      `${JSON.stringify({ type: 'error', message: messageOf(err), remedy, exitCode: exitCodeFor(err) })}\n`,
    );
    return;
  }
  io.stderr.write(`error: ${messageOf(err)}\n`);
  if (remedy) io.stderr.write(`  fix: ${sentence(remedy)}\n`);
  if (!(err instanceof DevenvError)) {
    io.stderr.write(flags.verbose && err instanceof Error ? `${err.stack}\n` : '  (run with --verbose for details)\n');
  }
}
