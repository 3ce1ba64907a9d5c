import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config/schema.js';
import { fileBackend, type StateBackend } from '../state/store.js';

/** Where this config keeps its state: the S3 object it names, else the local file (--state). */
export async function stateBackend(config: Config, statePath: string, aws: AwsClients): Promise<StateBackend> {
  if (!config.state.s3) return fileBackend(statePath);
  const { S3StateBackend, s3Location } = await import('../aws/s3/state-object.js');
  const loc = s3Location(config)!;
  return new S3StateBackend(await aws.s3In(loc.region), loc);
}

/** AWS_ENDPOINT_URL points at an emulator, which serves buckets by path, not by host name. */
export const s3PathStyle = (env: Record<string, string | undefined>): boolean =>
  Boolean(env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3);
