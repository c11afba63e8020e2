/**
 * Where S3 clients reach a key's bucket, as the key's secret records it: a pure function of the URL Lightsail
 * reports for the bucket (`Bucket.url` from GetBuckets, `CfnBucket.attrUrl`), the bucket's name and the region.
 */
import type { KeySecretValue } from '../../lib/contract';

/** The two URLs a key secret records: the S3 service endpoint, and the bucket's own URL. */
export interface S3Location {
  /**
   * The regional S3 service endpoint, `https://s3.<region>.amazonaws.com`: what S3 clients take as their
   * `endpoint` (or `endpoint_url`), putting the bucket in front of it (virtual-hosted style) or after it (path style).
   */
  readonly endpoint: string;
  /** The bucket's own URL, as Lightsail reports it, such as `https://<bucket>.s3.<region>.amazonaws.com/`. */
  readonly bucketUrl: string;
}

/**
 * The S3 location of a bucket from the URL Lightsail reports for it:
 *
 * - `https://<bucket>.s3.<region>.amazonaws.com/` (virtual-hosted, the shape Lightsail reports) gives the endpoint
 *   after the bucket's name, `https://s3.<region>.amazonaws.com`;
 * - a URL on an S3 service host itself (`s3.<region>.amazonaws.com`): with a path, it is a path-style bucket URL and
 *   stays the bucket's URL; without one, it is an endpoint (as an earlier record may pass it on), and the bucket's
 *   URL is made from it, virtual-hosted;
 * - anything else keeps the URL as the bucket's and takes the endpoint of the region.
 */
export function s3Location(reportedUrl: string, bucketName: string, region: string): S3Location {
  const fromRegion = { endpoint: `https://s3.${region}.amazonaws.com`, bucketUrl: reportedUrl };
  let url: URL;
  try {
    url = new URL(reportedUrl);
  } catch {
    return fromRegion;
  }
  const serviceHost = /^s3[.-][a-z0-9-]+\.amazonaws\.com(\.cn)?$/;
  const host = url.hostname.toLowerCase();
  if (host.startsWith(`${bucketName}.`) && serviceHost.test(host.slice(bucketName.length + 1))) {
    return { endpoint: `https://${host.slice(bucketName.length + 1)}`, bucketUrl: reportedUrl };
  }
  if (serviceHost.test(host)) {
    const pathStyle = url.pathname.replace(/\/+$/, '') !== '';
    return {
      endpoint: `https://${host}`,
      bucketUrl: pathStyle ? reportedUrl : `https://${bucketName}.${host}/`,
    };
  }
  return fromRegion;
}

/** A new key's record, as its secret holds it (`KeySecretValue` in lib/contract.ts). */
export function keyRecord(
  key: { readonly accessKeyId: string; readonly secretAccessKey: string },
  bucketName: string,
  region: string,
  reportedUrl: string,
): KeySecretValue {
  const { accessKeyId, secretAccessKey } = key;
  return { accessKeyId, secretAccessKey, bucketName, region, ...s3Location(reportedUrl, bucketName, region) };
}
