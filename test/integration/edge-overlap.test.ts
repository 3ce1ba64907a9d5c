/**
 * The certificate wait overlaps the network, the host and the load balancer: with moto holding each
 * new certificate PENDING_VALIDATION for 20 s (MOTO_ACM_VALIDATION_WAIT) and 100 ms added before
 * every call (issue 20's check), `up` starts the cert phase right after validate, runs vpc, sg, iam,
 * ec2 and alb (the load balancer, its target groups, the HTTP listener) while ACM validates, and
 * starts https (the HTTPS listener, the rules) only once the certificate is ISSUED. The certificate
 * is polled soon after its validation record is written, then 2, 4 and 8 s apart, then every 10 s.
 */
import { expect, it } from 'vitest';
import type { CallHook } from '../../src/aws/clients.js';
import { EARLY_POLL_GAPS_MS, ISSUE_WAIT } from '../../src/phases/cert.js';
import { expectConverged } from './expect.js';
import { newWorkspace, phaseSpans } from './moto.js';
import { describeMoto } from './suite.js';

/** Long enough for vpc, sg, ec2 and alb to run on a busy machine before the certificate is issued. */
const VALIDATION_WAIT_S = 20;
/** Added before every AWS call, as the bench does: the serial chains of the host and the load balancer show. */
const LATENCY_MS = 100;
/** What a busy machine may add to a poll's planned gap (a timer firing late, the call's own time). */
const SLACK_MS = 2_500;

describeMoto(
  'the certificate wait overlaps the host and the load balancer',
  (moto) => {
    it('cert starts with the network; alb builds the load balancer before the certificate is issued; https starts after it', async () => {
      const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'] });
      const log: { call: string; at: number }[] = [];
      const recorder: CallHook = {
        before: () => new Promise((resolve) => setTimeout(resolve, LATENCY_MS)),
        after: (c) => log.push({ call: `${c.service}:${c.operation}`, at: Date.now() }),
      };
      const r = await ws.cli(['up', '--json'], { hooks: [recorder] });
      expectConverged(r);
      const spans = phaseSpans(r.stdout);
      const { cert, ec2, alb, https, validate } = spans;
      const said = JSON.stringify(spans);
      expect(
        cert?.end !== undefined &&
          ec2?.end !== undefined &&
          alb?.end !== undefined &&
          https?.start !== undefined &&
          validate?.end !== undefined,
        said,
      ).toBe(true);
      // cert needs only validate: it starts before the host does, and is still waiting when the host starts.
      expect(cert!.start, said).toBeLessThan(ec2!.start);
      expect(cert!.end!, said).toBeGreaterThan(ec2!.start);
      expect(cert!.end! - cert!.start, 'the certificate was issued without waiting').toBeGreaterThanOrEqual(
        VALIDATION_WAIT_S * 1000,
      );
      // alb needs no certificate: it runs inside the validation wait; https waits for the certificate.
      expect(alb!.start, said).toBeLessThan(cert!.end!);
      expect(https!.start, said).toBeGreaterThanOrEqual(cert!.end!);
      expect(https!.start, said).toBeGreaterThanOrEqual(alb!.end!);
      expect(r.stdout).toMatch(/waiting for ACM to validate \*\.dev\.example\.com/);

      // The request log: moto issues the certificate VALIDATION_WAIT_S after RequestCertificate.
      const at = (call: string) => log.filter((e) => e.call === call).map((e) => e.at);
      const issued = at('acm:RequestCertificate')[0]! + VALIDATION_WAIT_S * 1000;
      const calls = log.map((e) => e.call);
      expect(at('elbv2:CreateLoadBalancer')[0], calls.join(' ')).toBeLessThan(issued);
      expect(at('elbv2:CreateTargetGroup'), calls.join(' ')).toHaveLength(2);
      for (const t of [...at('elbv2:CreateTargetGroup'), ...at('elbv2:RegisterTargets')])
        expect(t, calls.join(' ')).toBeLessThan(issued);
      // Two listeners: HTTP first (with the load balancer), HTTPS last, after the certificate is issued, then the rules.
      const listeners = at('elbv2:CreateListener');
      expect(listeners).toHaveLength(2);
      expect(listeners[0], calls.join(' ')).toBeLessThan(issued);
      expect(listeners[1], calls.join(' ')).toBeGreaterThanOrEqual(issued);
      const lastCertRead = at('acm:DescribeCertificate')
        .filter((t) => t <= listeners[1]!)
        .at(-1)!;
      expect(lastCertRead, 'the certificate was read ISSUED before the HTTPS listener').toBeGreaterThanOrEqual(issued);
      for (const t of at('elbv2:CreateRule')) expect(t).toBeGreaterThan(listeners[1]!);

      // The cert phase's polls: from the validation record's write to the phase's end (https reads it once more).
      const firstEvent = r.stdout.split('\n').find((l) => l.includes('"phase"') && l.includes('"time"'))!;
      const certEnd = Date.parse((JSON.parse(firstEvent) as { time: string }).time) + cert!.end!;
      const written = at('route53:ChangeResourceRecordSets').find((t) => t > at('acm:RequestCertificate')[0]!)!;
      const polls = at('acm:DescribeCertificate').filter((t) => t > written && t <= certEnd);
      const gaps = polls.slice(1).map((t, i) => t - polls[i]!);
      const times = `polls at ${polls.map((t) => t - written).join(', ')} ms after the record was written`;
      expect(polls[0]! - written, `polled soon after the record: ${times}`).toBeLessThan(SLACK_MS);
      // Issued after 20 s: looked at once, then 2, 4 and 8 s apart (then every 10 s), no more than one interval late.
      expect(gaps.length, times).toBeGreaterThanOrEqual(EARLY_POLL_GAPS_MS.length);
      gaps.forEach((gap, i) => {
        const planned = EARLY_POLL_GAPS_MS[i] ?? ISSUE_WAIT.intervalMs;
        expect(gap, times).toBeGreaterThanOrEqual(planned);
        expect(gap, times).toBeLessThan(planned + SLACK_MS);
      });
      expect(polls.at(-1)! - issued, `seen ISSUED within one poll interval: ${times}`).toBeLessThan(
        ISSUE_WAIT.intervalMs + SLACK_MS,
      );
    }, 240_000);
  },
  { acmValidationWaitSeconds: VALIDATION_WAIT_S },
);
