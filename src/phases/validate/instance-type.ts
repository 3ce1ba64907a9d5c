import {
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  paginateDescribeInstanceTypeOfferings,
  type _InstanceType,
  type InstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import { Ec2LookupCode, hasCode } from '../../aws/errors.js';
import type { Developer } from '../../config/model.js';
import type { Context } from '../types.js';
import { fail, guarded, needs, pass, type ValidationResult } from './result.js';

/**
 * Memory the host needs beside the containers: Ubuntu with dockerd, containerd, sshd and the
 * CloudWatch agent uses about 0.5–0.7 GiB; a full GiB keeps the page cache from being squeezed
 * out when every container is at its reservation.
 */
export const HOST_OVERHEAD_MIB = 1024;

/**
 * Whether the developers' reservations fit a host of `vcpus` and `memoryMiB`, and how many developers of the largest
 * size would.
 */
export function capacity(
  developers: Pick<Developer, 'cpuReservation' | 'memoryReservationMiB'>[],
  vcpus: number,
  memoryMiB: number,
) {
  const cpu = round(developers.reduce((sum, d) => sum + d.cpuReservation, 0));
  const memory = developers.reduce((sum, d) => sum + d.memoryReservationMiB, 0) + HOST_OVERHEAD_MIB;
  const each = {
    cpu: Math.max(...developers.map((d) => d.cpuReservation)),
    memory: Math.max(...developers.map((d) => d.memoryReservationMiB)),
  };
  const fitting = Math.max(
    0,
    Math.min(Math.floor(round(vcpus / each.cpu)), Math.floor((memoryMiB - HOST_OVERHEAD_MIB) / each.memory)),
  );
  return { cpu, memory, each, fitting, cpuShort: cpu > vcpus, memoryShort: memory > memoryMiB };
}

/** The instance type exists, is offered in the host's zone, runs x86_64, and holds every developer's reservation. */
export function checkInstanceType(ctx: Context): Promise<ValidationResult> {
  const type = ctx.config.instance.type;
  const { region, hostAz, developers } = ctx.model;
  return guarded('instance type', region, async () => {
    const [info, zones] = await Promise.all([describeType(ctx, type), offeredIn(ctx, type)]);
    if (!info)
      return fail(
        'instance type',
        `instance type ${type} does not exist: set instance.type to an EC2 instance type such as t3.2xlarge`,
        { id: type },
      );
    // Every zone of a real region offers some types; a zone with none at all means the API has no
    // data (an emulator such as moto lists no offerings for ap-southeast-7), not that t3 is missing.
    const unknown = zones.length === 0 && !(await anyOfferingIn(ctx, hostAz));
    const warnings = unknown
      ? [
          `${region} lists no instance type offerings at all for ${hostAz}: could not confirm that ` +
            `${type} is offered there`,
        ]
      : [];
    if (!unknown && !zones.includes(hostAz)) {
      const where = zones.length > 0 ? `it is offered in ${zones.join(', ')}` : `it is offered in no zone of ${region}`;
      const fix =
        zones.length > 0
          ? 'set availabilityZone to one of them, or choose another instance.type'
          : 'choose another instance.type';
      return fail('instance type', `${type} is not offered in ${hostAz} (${where}): ${fix}`, { id: type });
    }
    const arches = info.ProcessorInfo?.SupportedArchitectures ?? [];
    if (!arches.includes('x86_64')) {
      return fail(
        'instance type',
        `${type} runs ${arches.join('/') || 'an unknown architecture'}, but the host image is x86_64 ` +
          'Ubuntu: choose an x86_64 type such as t3.2xlarge',
        { id: type },
      );
    }
    const vcpus = info.VCpuInfo?.DefaultVCpus ?? 0;
    const memoryMiB = info.MemoryInfo?.SizeInMiB ?? 0;
    const fit = capacity(developers, vcpus, memoryMiB);
    const has = `${type} has ${vcpus} vCPUs and ${memoryMiB} MiB`;
    const reserve =
      `${developers.length} developers reserve ${fit.cpu} vCPUs and ${fit.memory - HOST_OVERHEAD_MIB} ` +
      `MiB (+ ${HOST_OVERHEAD_MIB} MiB for the host)`;
    if (fit.cpuShort || fit.memoryShort) {
      const short = [fit.cpuShort && 'vCPUs', fit.memoryShort && 'memory'].filter(Boolean).join(' and ');
      return fail(
        'instance type',
        `${has}, but the ${reserve}: not enough ${short}. ${fit.fitting} developers of ` +
          `${fit.each.cpu} vCPU / ${fit.each.memory} MiB fit on ${type}: ` +
          `choose an instance type with at least ${Math.ceil(fit.cpu)} vCPUs and ${fit.memory} MiB, ` +
          'or lower containers.cpuReservation / containers.memoryReservationMiB (or the per-developer values)',
        { id: type },
      );
    }
    return pass('instance type', `${has} in ${hostAz}; ${reserve}, room for ${fit.fitting}`, {
      id: type,
      warnings,
      outputs: { instanceType: type, vcpus, memoryMiB },
    });
  });
}

async function describeType(ctx: Context, type: string): Promise<InstanceTypeInfo | undefined> {
  try {
    const out = await needs(
      'ec2:DescribeInstanceTypes',
      ctx.aws.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [type as _InstanceType] })),
    );
    return out.InstanceTypes?.find((t) => t.InstanceType === type);
  } catch (err) {
    // "The following supplied instance types do not exist"
    if (hasCode(err, Ec2LookupCode.invalidInstanceType)) return undefined;
    throw err;
  }
}

/** The zones of the region where `type` can be launched. */
async function offeredIn(ctx: Context, type: string): Promise<string[]> {
  const zones: string[] = [];
  const pages = paginateDescribeInstanceTypeOfferings(
    { client: ctx.aws.ec2 },
    {
      LocationType: 'availability-zone',
      Filters: [{ Name: 'instance-type', Values: [type] }],
    },
  );
  await needs(
    'ec2:DescribeInstanceTypeOfferings',
    (async () => {
      for await (const page of pages)
        for (const o of page.InstanceTypeOfferings ?? []) if (o.Location) zones.push(o.Location);
    })(),
  );
  return zones.sort();
}

async function anyOfferingIn(ctx: Context, az: string): Promise<boolean> {
  const out = await needs(
    'ec2:DescribeInstanceTypeOfferings',
    ctx.aws.ec2.send(
      new DescribeInstanceTypeOfferingsCommand({
        LocationType: 'availability-zone',
        Filters: [{ Name: 'location', Values: [az] }],
        MaxResults: 5,
      }),
    ),
  );
  return (out.InstanceTypeOfferings ?? []).length > 0;
}

const round = (n: number): number => Math.round(n * 1000) / 1000;
