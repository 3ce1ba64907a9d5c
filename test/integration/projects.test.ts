/**
 * Several environments in one account and region (DESIGN.md: larger teams run one project each):
 * one project's runs must never adopt, change or delete another's resources.
 */
import { expect, it } from 'vitest';
import { expectConverged, expectNoMutatingCalls } from './expect.js';
import { describeResult, newWorkspace } from './moto.js';
import { describeMoto } from './suite.js';

describeMoto('two projects in one account', (moto) => {
  it("neither adopts nor destroys the other's resources, even a key pair of the same name", async () => {
    const alpha = await newWorkspace(moto.server, {
      project: 'alpha',
      developers: ['alice'],
      patch: (c) => (c.instance.keyName = 'team-admin-key'),
    });
    expectConverged(await alpha.cli(['up']), 'alpha up');

    // beta names the same key pair and even holds the same private key: still not its to use.
    const beta = await newWorkspace(moto.server, {
      project: 'beta',
      developers: ['bob'],
      shareWorld: true,
      patch: (c) => {
        c.instance.keyName = 'team-admin-key';
        c.instance.privateKeyPath = alpha.keyPath;
      },
    });
    const refused = await beta.cli(['up']);
    expect(refused.code, describeResult(refused)).toBe(2); // the config names a key pair it may not use
    expect(refused.stderr).toContain(
      'key pair "team-admin-key" exists in AWS, but it belongs to devenv project "alpha"',
    );

    await beta.editConfig((c) => {
      delete c.instance.keyName;
      delete c.instance.privateKeyPath;
      c.instance.privateKeyPath = beta.keyPath;
    });
    expectConverged(await beta.cli(['up']), 'beta up with its own key pair');
    const destroyed = await beta.cli([
      'destroy',
      '--yes',
      '--force-delete-secrets',
      '--delete-data',
      '--no-final-snapshot',
    ]);
    expect(destroyed.code, describeResult(destroyed)).toBe(0);

    const again = await alpha.cli(['up']);
    expect(again.code, describeResult(again)).toBe(0);
    expectNoMutatingCalls(again, "alpha's up after beta's destroy");
    const status = JSON.parse((await alpha.cli(['status', '--json'])).stdout.split('\n')[0]!) as {
      resources: { logicalId: string; state: string }[];
    };
    expect(status.resources.filter((r) => r.state === 'missing' || r.state.includes('not in state'))).toEqual([]);
  });

  it("names a developer's DNS name that another project holds as that project's, in plan and before up builds anything; never suggests taking it over", async () => {
    const alpha = await newWorkspace(moto.server, { project: 'alpha', developers: ['alice'] });
    expectConverged(await alpha.cli(['up']), 'alpha up');
    const beta = await newWorkspace(moto.server, { project: 'beta', developers: ['alice', 'bob'], shareWorld: true });
    const before = await alpha.inventory();

    const plan = await beta.cli(['plan']);
    const planned = `${plan.stdout}\n${plan.stderr}`;
    expect(planned).toMatch(
      /alice\.[\w.-]+ belongs to devenv project "alpha" \(A alias → alpha-[\w.-]+, its load balancer\)/,
    );
    expect(planned).not.toContain('--take-over-dns');
    expect(planned).not.toContain('did not make');

    for (const flags of [[], ['--take-over-dns']]) {
      const up = await beta.cli(['up', ...flags]);
      expect(up.code, describeResult(up)).toBe(2);
      expect(up.stderr).toMatch(
        /alice\.[\w.-]+ belongs to devenv project "alpha" .*two projects cannot serve one name: rename alice in this project's config, or give this project a baseDomain of its own/,
      );
      expect(up.stderr).not.toMatch(/run `devenv up --take-over-dns`/);
      expectNoMutatingCalls(up, `beta up ${flags.join(' ')}`);
    }
    expect((await alpha.inventory()).items, "alpha's resources and records are as they were").toEqual(before.items);

    await beta.editConfig((c) => {
      c.developers = ['carol', 'bob'];
    });
    expectConverged(await beta.cli(['up']), 'beta up with names of its own');
    const again = await alpha.cli(['up']);
    expect(again.code, describeResult(again)).toBe(0);
    expectNoMutatingCalls(again, "alpha's up beside beta");
  });
});
