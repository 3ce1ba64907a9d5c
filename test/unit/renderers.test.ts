import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Reporter, type UiEvent } from '../../src/ui/events.js';
import { chooseRendererKind, createRenderer, type RenderOptions } from '../../src/ui/renderers.js';

function render(events: UiEvent[], o: RenderOptions) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write: (c, _e, done) => {
        into.push(String(c));
        done();
      },
    });
  const renderer = createRenderer({ stdout: sink(out), stderr: sink(err) }, o);
  for (const e of events) renderer.render(e);
  renderer.close();
  return { stdout: out.join(''), stderr: err.join('') };
}

const run: UiEvent[] = [
  { type: 'phase-start', phase: 'vpc' },
  { type: 'step', phase: 'vpc', message: 'created VPC vpc-1' },
  { type: 'aws-call', service: 'ec2', operation: 'CreateVpc', durationMs: 12 },
  { type: 'phase-done', phase: 'vpc', durationMs: 2500 },
  { type: 'phase-failed', phase: 'sg', durationMs: 61_000, message: 'AccessDenied' },
];

describe('renderers', () => {
  it('plain: one line per step on stderr, calls only with --verbose, no colour codes', () => {
    const quiet = render(run, { kind: 'plain', verbose: false, color: false });
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr.split('\n').filter(Boolean)).toEqual([
      '[vpc] started',
      '[vpc] created VPC vpc-1',
      '✔ vpc done in 3s',
      '✘ sg failed after 1m01s: AccessDenied',
    ]);
    expect(render(run, { kind: 'plain', verbose: true, color: false }).stderr).toContain('aws ec2 CreateVpc 12ms');
    expect(render(run, { kind: 'plain', verbose: false, color: true }).stderr).toContain('\u001b[32m✔');
  });

  it('json: one parseable event per line on stdout', () => {
    const { stdout, stderr } = render(run, { kind: 'json', verbose: false, color: false });
    expect(stderr).toBe('');
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(['phase-start', 'step', 'phase-done', 'phase-failed']);
    expect(events[1]).toMatchObject({ phase: 'vpc', message: 'created VPC vpc-1' });
  });

  it('a resource event is one line for people and structured fields for machines; a kept resource is only counted', () => {
    const events: UiEvent[] = [
      {
        type: 'resource',
        phase: 'vpc',
        action: 'created',
        logicalId: 'subnet/a',
        kind: 'subnet',
        resourceId: 'subnet-1',
        message: 'created subnet subnet-1',
      },
      { type: 'resource', phase: 'vpc', action: 'kept', logicalId: 'vpc', kind: 'VPC', resourceId: 'vpc-1' },
    ];
    expect(render(events, { kind: 'plain', verbose: false, color: false }).stderr).toBe(
      '[vpc] created subnet subnet-1\n',
    );
    const lines = render(events, { kind: 'json', verbose: false, color: false })
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      type: 'resource',
      phase: 'vpc',
      action: 'created',
      logicalId: 'subnet/a',
      resourceId: 'subnet-1',
    });
    expect(lines[1]).toMatchObject({ action: 'kept', logicalId: 'vpc', resourceId: 'vpc-1' });
    expect(Date.parse(lines[0].time)).not.toBeNaN();
  });

  it('the closing count names each resource once, by what mattered most: fixed right after creation is created', () => {
    const reporter = new Reporter({ render: () => undefined, close: () => undefined });
    const vpc = reporter.forPhase('vpc');
    vpc.resource({ action: 'created', logicalId: 'vpc', message: 'created VPC vpc-1' });
    vpc.resource({ action: 'updated', logicalId: 'vpc', message: 'enabled DNS hostnames' });
    vpc.resource({ action: 'kept', logicalId: 'igw' });
    vpc.resource({ action: 'updated', logicalId: 'igw', message: 'attached' });
    vpc.resource({ action: 'updated', logicalId: 'igw', message: 'tagged' });
    vpc.resource({ action: 'kept', logicalId: 'rtb' });
    expect(reporter.tally()).toMatchObject({ created: 1, updated: 1, kept: 1, adopted: 0, deleted: 0 });
  });

  it('spinners only on an interactive terminal outside CI and --verbose', () => {
    expect(chooseRendererKind({ json: false, isTTY: true, ci: false, verbose: false })).toBe('tty');
    expect(chooseRendererKind({ json: false, isTTY: true, ci: true, verbose: false })).toBe('plain');
    expect(chooseRendererKind({ json: false, isTTY: false, ci: false, verbose: false })).toBe('plain');
    expect(chooseRendererKind({ json: true, isTTY: true, ci: false, verbose: false })).toBe('json');
  });
});
