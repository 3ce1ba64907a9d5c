/**
 * Vitest glue for the moto harness: `describeMoto(name, (moto) => { … })` starts one moto server
 * for the file, points this process's SDK at it, and stops it afterwards. Without moto the suite is
 * skipped with a message saying how to install it; under CI=true it fails instead.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { INSTALL_HINT, motoAvailable, MotoServer, removeWorkspaces } from './moto.js';

/** Filled in by beforeAll; tests read `moto.server`. */
export interface MotoHandle {
  server: MotoServer;
}

const availability = motoAvailable();

export function describeMoto(
  name: string,
  body: (moto: MotoHandle) => void,
  server: Parameters<typeof MotoServer.start>[1] = {},
): void {
  if (!availability.ok) {
    if (process.env.CI === 'true') {
      describe(name, () => {
        it('needs moto server (CI=true: missing moto fails the suite)', () => {
          throw new Error(`${INSTALL_HINT} (${availability.why})`);
        });
      });
      return;
    }
    console.warn(`[integration] skipping "${name}": ${INSTALL_HINT} (${availability.why})`);
    describe.skip(`${name} — skipped: ${INSTALL_HINT}`, () => {
      it('needs moto', () => undefined);
    });
    return;
  }
  const handle = {} as MotoHandle;
  describe(name, () => {
    beforeAll(async () => {
      handle.server = await MotoServer.start(undefined, server);
      handle.server.useFromThisProcess();
    }, 30_000);
    afterAll(async () => {
      await handle.server?.stop();
      await removeWorkspaces();
    });
    body(handle);
  });
}
