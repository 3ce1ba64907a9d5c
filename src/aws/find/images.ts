import {
  DescribeImagesCommand,
  paginateDescribeImages,
  type EC2Client,
  type Filter,
  type Image,
} from '@aws-sdk/client-ec2';
import { isNotFound } from '../errors.js';

/** Canonical's AWS account: only images it owns are official Ubuntu images. */
export const CANONICAL_OWNER = '099720109477';

/**
 * Ubuntu 22.04 (jammy) amd64 server images; Canonical publishes them under `hvm-ssd` (gp2) and, newer, `hvm-ssd-gp3`.
 */
export const UBUNTU_JAMMY_AMD64 = [
  'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*',
  'ubuntu/images/hvm-ssd-gp3/ubuntu-jammy-22.04-amd64-server-*',
];

/** The image with this id, or `undefined` when it does not exist or is not visible to this account. */
export async function describeImage(ec2: EC2Client, imageId: string): Promise<Image | undefined> {
  try {
    const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    return out.Images?.find((i) => i.ImageId === imageId);
  } catch (err) {
    if (isNotFound(err)) return undefined; // InvalidAMIID.NotFound
    throw err;
  }
}

/**
 * The newest available image of `owner` whose name matches one of `names`, by CreationDate;
 * `undefined` when none does. Pages through every match: a release has several per month.
 */
export async function newestImage(
  ec2: EC2Client,
  owner: string,
  names: string[],
  architecture = 'x86_64',
): Promise<Image | undefined> {
  const Filters: Filter[] = [
    { Name: 'name', Values: names },
    { Name: 'state', Values: ['available'] },
    { Name: 'architecture', Values: [architecture] },
  ];
  let newest: Image | undefined;
  for await (const page of paginateDescribeImages({ client: ec2 }, { Owners: [owner], Filters })) {
    for (const image of page.Images ?? []) {
      if (image.State && image.State !== 'available') continue; // the filter asks for it too
      if (!newest || created(image) > created(newest)) newest = image;
    }
  }
  return newest;
}

const created = (image: Image): number => Date.parse(image.CreationDate ?? '') || 0;
