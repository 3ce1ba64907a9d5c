import { describe, expect, it, vi } from 'vitest';
import { ownedByName } from '../../src/config/tags.js';

type Named = { name: string; arn: string };
const listed: Named[] = [
  { name: 'demo-alarm-cpu', arn: 'arn:1' },
  { name: 'demo-alarm-5xx', arn: 'arn:2' },
];
const tagged = (project: string) => [{ Key: 'devenv:project', Value: project }];

describe('ownedByName', () => {
  it("returns the one of that name when it carries this project's tag, reading tags only for it", async () => {
    const tagsOf = vi.fn(async (found: Named[]) => found.map(() => tagged('demo')));
    expect(await ownedByName('demo', 'alarm', listed, 'demo-alarm-5xx', { nameOf: (r) => r.name, tagsOf })).toEqual([
      listed[1],
    ]);
    expect(tagsOf).toHaveBeenCalledWith([listed[1]]);
  });

  it('reads no tags when none has the name', async () => {
    const tagsOf = vi.fn(async () => []);
    expect(await ownedByName('demo', 'alarm', listed, 'demo-alarm-disk', { nameOf: (r) => r.name, tagsOf })).toEqual(
      [],
    );
    expect(tagsOf).not.toHaveBeenCalled();
  });

  it('refuses a same-named one of another project, or an untagged one, naming it', async () => {
    await expect(
      ownedByName('demo', 'target group', listed, 'demo-alarm-cpu', {
        nameOf: (r) => r.name,
        tagsOf: async () => [tagged('alpha')],
      }),
    ).rejects.toThrow(
      'target group demo-alarm-cpu already exists but is not devenv\'s for project demo (its devenv:project tag is "alpha")',
    );
    await expect(
      ownedByName('demo', 'log group', listed, 'demo-alarm-cpu', {
        nameOf: (r) => r.name,
        tagsOf: async () => [undefined],
      }),
    ).rejects.toThrow(
      /log group demo-alarm-cpu already exists but is not devenv's for project demo \(its devenv:project tag is missing\)/,
    );
  });
});
