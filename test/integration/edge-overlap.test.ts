/**
 * The certificate wait overlaps the network and the host: with moto holding each new certificate
 * PENDING_VALIDATION for a few seconds (MOTO_ACM_VALIDATION_WAIT), `up` starts the cert phase right
 * after validate, runs vpc, sg, iam and ec2 while ACM validates, and starts alb only once the
 * certificate is ISSUED.
 */
import { expect, it } from 'vitest';
import { expectConverged } from './expect.js';
import { newWorkspace, phaseSpans } from './moto.js';
import { describeMoto } from './suite.js';

const VALIDATION_WAIT_S = 3;

describeMoto('the certificate wait overlaps the host', (moto) => {
  it('cert starts with the network, is still waiting while ec2 runs, and alb starts after it', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'] });
    const r = await ws.cli(['up', '--json']);
    expectConverged(r);
    const spans = phaseSpans(r.stdout);
    const { cert, ec2, alb, validate } = spans;
    expect(cert?.end !== undefined && ec2?.end !== undefined && alb?.start !== undefined && validate?.end !== undefined, JSON.stringify(spans)).toBe(true);
    // cert needs only validate: it starts before the host does, and is still waiting when the host starts.
    expect(cert!.start, JSON.stringify(spans)).toBeLessThan(ec2!.start);
    expect(cert!.end!, JSON.stringify(spans)).toBeGreaterThan(ec2!.start);
    expect(cert!.end! - cert!.start, 'the certificate was issued without waiting').toBeGreaterThanOrEqual(VALIDATION_WAIT_S * 1000);
    expect(alb!.start, JSON.stringify(spans)).toBeGreaterThanOrEqual(cert!.end!);
    expect(r.stdout).toMatch(/waiting for ACM to validate \*\.dev\.example\.com/);
  }, 120_000);
}, { acmValidationWaitSeconds: VALIDATION_WAIT_S });
