import type { Model } from '../config/model.js';
import { awsName } from './names.js';
import { awsResource, type PlannedResource } from './types.js';

export const DATA_MOUNT = '/mnt/ebs-data';
/** The host's logical id. */
export const INSTANCE = 'instance';

/** The logical id of a developer's code-server container. */
export const containerId = (developer: string) => `container/${developer}`;

export function ec2Blueprint(model: Model): PlannedResource[] {
  const i = model.config.instance;
  return [
    {
      ...awsResource(model, 'keypair', 'key pair', { type: 'ed25519', privateKey: model.privateKeyPath }),
      name: awsName('key pair', model.keyName),
    },
    awsResource(model, 'volume/data', 'EBS volume', {
      type: 'gp3',
      sizeGiB: i.dataVolumeGiB,
      encrypted: true,
      availabilityZone: model.hostAz,
    }),
    awsResource(model, INSTANCE, 'EC2 instance', {
      type: i.type,
      ami: i.amiId ?? 'newest Canonical Ubuntu 22.04 amd64',
      subnet: 'subnet/a',
      securityGroup: 'sg/host',
      rootVolume: `gp3 ${i.rootVolumeGiB} GiB, encrypted`,
      imds: 'v2 required, hop limit 1',
      dataVolume: 'volume/data at /dev/sdf',
    }),
  ];
}

const onHost = (
  logicalId: string,
  kind: string,
  name: string,
  properties: PlannedResource['properties'],
  developer?: string,
): PlannedResource => ({ logicalId, kind, name, developer, properties, tags: {} });

export function storageBlueprint(model: Model): PlannedResource[] {
  return [
    onHost('fs/data', 'filesystem', DATA_MOUNT, { type: 'ext4', mount: 'by UUID, nofail' }),
    ...model.developers.map((d) =>
      onHost(`dir/${d.name}`, 'directory', `${DATA_MOUNT}/${d.name}`, { owner: '1000:1000' }, d.name),
    ),
  ];
}

export function containersBlueprint(model: Model): PlannedResource[] {
  return model.developers.map((d) =>
    onHost(
      containerId(d.name),
      'container',
      `code-server-${d.name}`,
      {
        image: model.config.containers.image,
        port: `${d.port} → 8080`,
        cpus: `${d.cpuReservation}–${d.cpuLimit}`,
        memoryMiB: `${d.memoryReservationMiB}–${d.memoryLimitMiB}`,
        url: d.url,
      },
      d.name,
    ),
  );
}
