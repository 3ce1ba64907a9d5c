import { GetConsoleOutputCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { AccessCode, CredentialsCode, hasCode, isInconclusive, isThrottling } from '../errors.js';

/** What reading an instance's console gave: its text (decoded), or why it cannot be read at all. */
export type ConsoleRead = { text: string; latest: boolean } | { unreadable: string };

/**
 * An instance's console output. `latest: true` asks for the live serial console (Nitro
 * instances only); anything else answers only the output buffered at the last state change, so a
 * refusal of `Latest` is answered by asking again without it. The output is base64; an instance
 * that has printed nothing yet has none
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetConsoleOutput.html).
 */
export async function readConsole(ec2: EC2Client, instanceId: string, latest: boolean): Promise<ConsoleRead> {
  try {
    const out = await ec2.send(
      new GetConsoleOutputCommand({ InstanceId: instanceId, ...(latest ? { Latest: true } : {}) }),
    );
    return { text: Buffer.from(out.Output ?? '', 'base64').toString('utf8'), latest };
  } catch (err) {
    if (hasCode(err, ...Object.values(AccessCode), ...Object.values(CredentialsCode))) {
      const refused = `ec2:GetConsoleOutput was refused (${(err as Error).name})`;
      return {
        unreadable: `${refused}: these credentials may not read the console`,
      };
    }
    // A client error to `Latest` on a Xen instance type (it has no live console): the buffered output will do.
    if (latest && !isThrottling(err) && !isInconclusive(err)) return readConsole(ec2, instanceId, false);
    throw err;
  }
}
