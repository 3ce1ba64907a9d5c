import type { Image } from '@aws-sdk/client-ec2';
import { CANONICAL_OWNER, UBUNTU_JAMMY_AMD64, describeImage, newestImage } from '../../aws/find/images.js';
import type { Context } from '../types.js';
import { fail, guarded, needs, pass, type ValidationResult } from './result.js';
import { INSTANCE } from '../../blueprint/compute.js';

/** The host runs amd64 Ubuntu: user data installs amd64 packages (CloudWatch agent, AWS CLI). */
const ARCHITECTURE = 'x86_64';

/**
 * The AMI a new host would boot: `instance.amiId`, or the newest Canonical Ubuntu 22.04 amd64.
 * A host that already runs is not judged here: the check says which AMI it runs, and the ec2
 * phase decides about replacing it (only with `--replace-host`), so a newer Ubuntu release or a
 * deregistered AMI never fails validate for a running environment.
 */
export function checkAmi(ctx: Context): Promise<ValidationResult> {
  const { region } = ctx.model;
  const override = ctx.config.instance.amiId;
  const instance = ctx.state.resource(INSTANCE);
  const running = typeof instance?.attrs?.amiId === 'string' ? instance.attrs.amiId : undefined;
  const host = instance?.id ? `instance ${instance.id}` : 'the host being launched';

  return guarded('AMI', region, async () => {
    const image = override
      ? await needs('ec2:DescribeImages', describeImage(ctx.aws.ec2, override))
      : await needs('ec2:DescribeImages', newestImage(ctx.aws.ec2, CANONICAL_OWNER, UBUNTU_JAMMY_AMD64, ARCHITECTURE));
    const problem = override ? overrideProblem(override, image, region) : image ? undefined : newestMissing(region);

    if (problem) {
      if (!running) return fail('AMI', `${problem.found}: ${problem.fix}`, { id: override });
      return pass('AMI', `${host} uses ${running}`, {
        id: running,
        warnings: [`${problem.found}; ${host} keeps ${running}`],
        outputs: { amiId: running, amiName: '' },
      });
    }
    const found = image!;
    const name = found.Name ?? '';
    const summary = `${found.ImageId} ${name}${found.CreationDate ? ` (${found.CreationDate.slice(0, 10)})` : ''}`;
    const detail = !running
      ? summary
      : running === found.ImageId
        ? `${summary}, which ${host} uses`
        : `${host} uses ${running}; a new host would boot ${summary} (the ec2 phase replaces the host ` +
          'only with --replace-host)';
    return pass('AMI', detail, {
      id: running ?? found.ImageId,
      outputs: { amiId: found.ImageId!, amiName: name, amiCreationDate: found.CreationDate ?? '' },
    });
  });
}

interface Problem {
  found: string;
  fix: string;
}

function overrideProblem(amiId: string, image: Image | undefined, region: string): Problem | undefined {
  if (!image) {
    return {
      found: `AMI ${amiId} (instance.amiId) does not exist in ${region} or is not shared with this account`,
      fix:
        `AMI ids differ per region; set instance.amiId to an AMI of ${region}, or remove it to use the ` +
        'newest Ubuntu 22.04',
    };
  }
  const what = `AMI ${amiId} (${image.Name ?? 'no name'})`;
  if (image.Architecture !== ARCHITECTURE) {
    return {
      found: `${what} is ${image.Architecture ?? 'of unknown architecture'}, but the host needs ${ARCHITECTURE}`,
      fix: 'set instance.amiId to an Ubuntu 22.04 amd64 AMI, or remove it to use the newest',
    };
  }
  if (image.State !== 'available') {
    return {
      found: `${what} is ${image.State ?? 'in an unknown state'}, not available`,
      fix: 'wait for it, or set instance.amiId to an available AMI',
    };
  }
  return undefined;
}

const newestMissing = (region: string): Problem => ({
  found:
    `no Canonical Ubuntu 22.04 amd64 AMI found in ${region} (owner ${CANONICAL_OWNER}, name ` +
    `${UBUNTU_JAMMY_AMD64.join(' or ')}, state available)`,
  fix: `set instance.amiId to an Ubuntu 22.04 ${ARCHITECTURE} AMI of ${region}`,
});
