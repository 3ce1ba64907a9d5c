import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsClients } from '../../src/aws/clients.js';
import type { Clock } from '../../src/aws/wait.js';
import { allocate, buildModel } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { Context, PhaseName, RunOptions } from '../../src/phases/types.js';
import { StateStore } from '../../src/state/store.js';
import type { UiEvent } from '../../src/ui/events.js';
import { Reporter } from '../../src/ui/events.js';

export const baseConfig: ConfigInput = {
  project: 'demo',
  region: 'us-east-1',
  accountId: '123456789012',
  baseDomain: 'dev.example.com',
  hostedZoneId: 'Z1234567890ABC',
  ssh: { adminCidr: '203.0.113.7/32' },
  developers: ['alice', 'bob'],
  instance: { amiId: 'ami-0123456789abcdef0', privateKeyPath: '/tmp/devenv-test-key.pem' },
};

/** A clock that never sleeps: `sleep` just moves time forward. */
export function fakeClock(start = 0): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

export interface TestContext extends Context {
  events: UiEvent[];
}

/** A Context for unit tests: a real state store in a temp dir, SDK clients (mock them with aws-sdk-client-mock), a fake clock. */
export async function testContext(
  phase: PhaseName,
  overrides: Partial<ConfigInput> = {},
  options: RunOptions = {},
): Promise<TestContext> {
  const config = parseConfig(JSON.stringify({ ...baseConfig, ...overrides }));
  const dir = mkdtempSync(join(tmpdir(), 'devenv-unit-'));
  const state = await StateStore.open(join(dir, 'state.json'), {
    project: config.project,
    region: config.region,
    account: config.accountId,
  });
  Object.assign(state.data, allocate(config, state.data));
  const events: UiEvent[] = [];
  const reporter = new Reporter({ render: (e) => events.push(e), close: () => undefined });
  return {
    phase,
    config,
    model: buildModel(config, state.data.allocations),
    state,
    aws: new AwsClients({ region: config.region }),
    report: reporter.forPhase(phase),
    signal: new AbortController().signal,
    clock: fakeClock(),
    options,
    env: {},
    ssh: () => Promise.reject(new Error('this unit test has no host: give the context an ssh() of its own')),
    dns: {
      resolveNs: () => Promise.reject(new Error('this unit test has no DNS: give the context a dns of its own')),
      lookup: () => Promise.reject(new Error('this unit test has no DNS: give the context a dns of its own')),
    },
    events,
  };
}
