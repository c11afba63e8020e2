// Pins the Lightsail fake's key operations: answered terminal at once by default, or Started and applied later.
import {
  CreateBucketAccessKeyCommand,
  DeleteBucketAccessKeyCommand,
  GetBucketAccessKeysCommand,
  GetOperationCommand,
  NotFoundException,
} from '@aws-sdk/client-lightsail';
import { failure, useFake } from './clients';

const setup = useFake();
const fake = () => setup.fake();
const ls = () => setup.lightsail();
const listed = async (bucketName: string) =>
  ((await ls().send(new GetBucketAccessKeysCommand({ bucketName }))).accessKeys ?? []).map((k) => k.accessKeyId);
const statusOf = async (operationId: string) => (await ls().send(new GetOperationCommand({ operationId }))).operation!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('by default a key operation is applied at once and answered Succeeded, terminal', async () => {
  fake().lightsail.createBucket('media');
  const created = await ls().send(new CreateBucketAccessKeyCommand({ bucketName: 'media' }));
  expect(created.operations![0]).toMatchObject({
    status: 'Succeeded',
    isTerminal: true,
    operationType: 'CreateBucketAccessKey',
  });
  expect(await statusOf(created.operations![0].id!)).toMatchObject({ status: 'Succeeded', isTerminal: true });
  expect(await listed('media')).toEqual([created.accessKey!.accessKeyId]);
});

test('a deferred creation is answered Started; the key holds no slot and is not listed until it is applied', async () => {
  fake().lightsail.createBucket('media');
  fake().lightsail.deferOperations({ operationType: 'CreateBucketAccessKey', delayMs: 100, outcome: 'Succeeded' });
  const created = await ls().send(new CreateBucketAccessKeyCommand({ bucketName: 'media' }));
  const operationId = created.operations![0].id!;
  expect(created.operations![0]).toMatchObject({ status: 'Started', isTerminal: false });
  expect(created.accessKey!.secretAccessKey).toBeDefined();
  expect(await listed('media')).toEqual([]);
  expect(fake().lightsail.hasPendingOperations()).toBe(true);
  await sleep(150);
  expect(await statusOf(operationId)).toMatchObject({ status: 'Succeeded', isTerminal: true });
  expect(await listed('media')).toEqual([created.accessKey!.accessKeyId]);
  expect(fake().lightsail.hasPendingOperations()).toBe(false);
});

test('a deferred creation fails when the bucket filled up meanwhile, or when it is set to fail; its key never exists', async () => {
  fake().lightsail.createBucket('media');
  fake().lightsail.deferOperations({ operationType: 'CreateBucketAccessKey', delayMs: 100, outcome: 'Succeeded' });
  const late = await ls().send(new CreateBucketAccessKeyCommand({ bucketName: 'media' }));
  const first = await ls().send(new CreateBucketAccessKeyCommand({ bucketName: 'media' }));
  const second = await ls().send(new CreateBucketAccessKeyCommand({ bucketName: 'media' }));
  await sleep(150);
  expect(await statusOf(late.operations![0].id!)).toMatchObject({
    status: 'Failed',
    isTerminal: true,
    errorCode: expect.any(String),
  });
  expect((await listed('media')).sort()).toEqual([first.accessKey!.accessKeyId, second.accessKey!.accessKeyId].sort());

  fake().lightsail.createBucket('other');
  fake().lightsail.deferOperations({ operationType: 'CreateBucketAccessKey', delayMs: 10, outcome: 'Failed' });
  const failed = await ls().send(new CreateBucketAccessKeyCommand({ bucketName: 'other' }));
  await sleep(50);
  expect(await statusOf(failed.operations![0].id!)).toMatchObject({ status: 'Failed', isTerminal: true });
  expect(await listed('other')).toEqual([]);
});

test('a deferred creation on a bucket deleted meanwhile (with its keys) fails; its key never exists', async () => {
  fake().lightsail.createBucket('media');
  fake().lightsail.deferOperations({ operationType: 'CreateBucketAccessKey', delayMs: 50, outcome: 'Succeeded' });
  const late = await ls().send(new CreateBucketAccessKeyCommand({ bucketName: 'media' }));
  const accessKeyId = late.accessKey!.accessKeyId!;
  fake().lightsail.deleteBucket('media');
  fake().lightsail.createBucket('media');
  await sleep(100);
  expect(await statusOf(late.operations![0].id!)).toMatchObject({ status: 'Failed', isTerminal: true });
  expect(fake().lightsail.creationFailed(accessKeyId)).toBe(true);
  expect(await listed('media')).toEqual([]);
});

test('a deferred deletion keeps the key, and its slot, until it is applied; a failed one keeps it for good', async () => {
  fake().lightsail.createBucket('media');
  const key = (await ls().send(new CreateBucketAccessKeyCommand({ bucketName: 'media' }))).accessKey!.accessKeyId!;
  const other = (await ls().send(new CreateBucketAccessKeyCommand({ bucketName: 'media' }))).accessKey!.accessKeyId!;
  fake().lightsail.deferOperations({ operationType: 'DeleteBucketAccessKey', delayMs: 100, outcome: 'Succeeded' });
  const deleted = await ls().send(new DeleteBucketAccessKeyCommand({ bucketName: 'media', accessKeyId: key }));
  expect(deleted.operations![0]).toMatchObject({ status: 'Started', isTerminal: false });
  expect(await failure(ls().send(new CreateBucketAccessKeyCommand({ bucketName: 'media' })))).toBeDefined();
  await sleep(150);
  expect(await listed('media')).toEqual([other]);

  fake().lightsail.deferOperations({ operationType: 'DeleteBucketAccessKey', delayMs: 10, outcome: 'Failed' });
  const refused = await ls().send(new DeleteBucketAccessKeyCommand({ bucketName: 'media', accessKeyId: other }));
  await sleep(50);
  expect(await statusOf(refused.operations![0].id!)).toMatchObject({ status: 'Failed' });
  expect(await listed('media')).toEqual([other]);
});

test('GetOperation of an unknown id is NotFoundException', async () => {
  expect(await failure(ls().send(new GetOperationCommand({ operationId: 'nope' })))).toBeInstanceOf(NotFoundException);
});
