import { paginateListObjectsV2, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { compactTime, parseAuditRecord, type AuditRecord } from '../../state/audit.js';
import { mapLimit } from '../concurrency.js';
import { hasCode } from '../errors.js';
import { getText, noSuchBucket, type S3Location } from './state-object.js';

/** The audit trail of a state in S3: one object per run under `<key>.audit/`, named by its record's id. */
export const auditPrefix = (loc: Pick<S3Location, 'key'>): string => `${loc.key}.audit/`;

/** How many records `devenv audit` reads at once. */
const READ_CONCURRENCY = 8;

/** Writes a run's record as a new object: `If-None-Match: *` makes S3 refuse to replace one that exists. */
export async function putAuditRecord(s3: S3Client, loc: S3Location, record: AuditRecord): Promise<string> {
  const key = `${auditPrefix(loc)}${record.id}.json`;
  await s3.send(
    new PutObjectCommand({
      Bucket: loc.bucket,
      Key: key,
      Body: JSON.stringify(record),
      ContentType: 'application/json',
      IfNoneMatch: '*',
    }),
  );
  return key;
}

/**
 * The records of runs started at `since` or later (all without it), oldest first. The keys sort by
 * start time, so S3 lists only those (StartAfter) and no older object is read.
 */
export async function listAuditRecords(
  s3: S3Client,
  loc: S3Location,
  since?: Date,
): Promise<{ records: AuditRecord[]; unreadable: number }> {
  const prefix = auditPrefix(loc);
  const keys: string[] = [];
  const pages = paginateListObjectsV2(
    { client: s3 },
    {
      Bucket: loc.bucket,
      Prefix: prefix,
      ...(since ? { StartAfter: `${prefix}${compactTime(since.toISOString())}` } : {}),
    },
  );
  try {
    for await (const page of pages) for (const o of page.Contents ?? []) if (o.Key?.endsWith('.json')) keys.push(o.Key);
  } catch (err) {
    throw hasCode(err, 'NoSuchBucket') ? noSuchBucket(loc.bucket, prefix) : err;
  }
  const texts = await mapLimit(keys, READ_CONCURRENCY, (key) => getText(s3, loc.bucket, key));
  const records: AuditRecord[] = [];
  let unreadable = 0;
  for (const got of texts) {
    const record = got && parseAuditRecord(got.text);
    if (record) records.push(record);
    else unreadable++;
  }
  return { records, unreadable };
}
