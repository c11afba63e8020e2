/**
 * A consumer of a key's secret, as the README shows it: the AWS SDK for JavaScript v3's S3 client, built from the
 * secret's value exactly as the README's code does, sends a real PutObject to the key's bucket. Only the transport
 * is replaced (a request handler that records the request and answers 200), so every URL decision is the SDK's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import * as sdk from '@aws-sdk/client-s3';
import { keyRecord } from '../../lambda/shared/s3-location';
import { serializeKeySecret } from '../../lambda/shared/key-secret';
import { readmeBlock } from '../support/readme-example';

/** The parts of the SDK's HTTP request that say where it goes. */
interface HttpRequest {
  readonly method: string;
  readonly protocol: string;
  readonly hostname: string;
  readonly path: string;
  readonly query?: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

const load = createRequire(__filename);
const BUCKET = 'media-assets-example';
const BUCKET_URL = `https://${BUCKET}.s3.eu-west-1.amazonaws.com/`;
const KEY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

/** The README's `upload(key, photo)`, with the S3 client's requests recorded instead of sent. */
function readmeUpload(sent: HttpRequest[], clientConfig: Record<string, unknown> = {}) {
  class RecordingS3Client extends sdk.S3Client {
    constructor(config: Record<string, unknown>) {
      super({ ...config, ...clientConfig });
      (this as any).config.requestHandler = {
        handle: async (request: HttpRequest) => {
          sent.push(request);
          return { response: { statusCode: 200, headers: {}, body: Readable.from([]) } };
        },
      };
    }
  }
  const modules = (module: string) =>
    module === '@aws-sdk/client-s3' ? { ...sdk, S3Client: RecordingS3Client } : load(module);
  const source = readmeBlock('s3-client', 'js');
  return new Function('require', `${source}\nreturn upload;`)(modules) as (
    key: unknown,
    photo: unknown,
  ) => Promise<void>;
}

/** The secret's value as a consumer reads it: the handler's record, through its JSON. */
function secretValue(bucketUrl = BUCKET_URL) {
  return JSON.parse(serializeKeySecret(keyRecord(KEY, BUCKET, 'eu-west-1', bucketUrl)));
}

test('secret-value.json, which the boto3 consumer reads, is what the handler writes for the bucket', () => {
  const file = path.join(__dirname, 'secret-value.json');
  expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(secretValue());
});

test('the README code puts the object into the key’s bucket, at the bucket’s own host', async () => {
  const sent: HttpRequest[] = [];
  await readmeUpload(sent)(secretValue(), Buffer.from('jpeg'));

  expect(sent).toHaveLength(1);
  const [request] = sent;
  expect(request.method).toBe('PUT');
  expect(`${request.protocol}//${request.hostname}${request.path}`).toBe(
    'https://media-assets-example.s3.eu-west-1.amazonaws.com/photo.jpg',
  );
  // The SDK marks the operation in the query; the object key is the path.
  expect(request.query).toEqual({ 'x-id': 'PutObject' });
  // Signed with the key from the secret, for S3 in the secret's region.
  expect(request.headers.authorization).toContain(`Credential=${KEY.accessKeyId}/`);
  expect(request.headers.authorization).toContain('/eu-west-1/s3/aws4_request');
});

test('in path style too, the request names the bucket once and the object key as given', async () => {
  const sent: HttpRequest[] = [];
  await readmeUpload(sent, { forcePathStyle: true })(secretValue(), Buffer.from('jpeg'));
  expect(`${sent[0].hostname}${sent[0].path}`).toBe('s3.eu-west-1.amazonaws.com/media-assets-example/photo.jpg');
});

test('why `endpoint` is not the bucket URL: the client puts the bucket in front of it again', async () => {
  const old = { ...secretValue(), endpoint: BUCKET_URL };
  const sent: HttpRequest[] = [];
  await readmeUpload(sent)(old, Buffer.from('jpeg'));
  await readmeUpload(sent, { forcePathStyle: true })(old, Buffer.from('jpeg'));

  expect(sent.map((r) => `${r.hostname}${r.path}`)).toEqual([
    'media-assets-example.media-assets-example.s3.eu-west-1.amazonaws.com/photo.jpg',
    'media-assets-example.s3.eu-west-1.amazonaws.com/media-assets-example/photo.jpg',
  ]);
});
