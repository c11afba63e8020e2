/**
 * The handler's decisions, table by table: pure functions of what CloudFormation sent and what AWS answered.
 */
import {
  type LineageState,
  deleteTarget,
  isStackKeySecret,
  keyDecision,
  lineageState,
  updateKind,
} from '../../lambda/bucket-access-key/decisions';
import { RETIRED_MARKER, hasFreeSlot, lineageToken, replacementToken } from '../../lambda/shared/key-secret';
import { keysIn } from '../../lambda/shared/lineage';
import { MADE_UP_PHYSICAL_ID, SECRET_ARN_V0, SECRET_ARN_V1, STACK_ID } from './events';

const OTHER_STACK_ID = STACK_ID.replace(/[0-9a-f-]{36}$/, '00000000-aaaa-bbbb-cccc-000000000000');
const key = (accessKeyId: string, bucketName = 'media-assets') => ({
  accessKeyId,
  secretAccessKey: `secret-of-${accessKeyId}`,
  bucketName,
  region: 'eu-west-1',
  endpoint: 'https://media-assets.s3.eu-west-1.amazonaws.com/',
});
const onBucket = (...ids: string[]) => ids.map((accessKeyId) => ({ accessKeyId }));

describe('isStackKeySecret: a secret is one of this stack key secrets', () => {
  test.each([
    ['a key secret of the stack', SECRET_ARN_V0, STACK_ID, true],
    ['the same name in a stack of the same name created again', SECRET_ARN_V0, OTHER_STACK_ID, false],
    ['another partition', SECRET_ARN_V0.replace('arn:aws:', 'arn:aws-cn:'), STACK_ID, false],
    ['another account', SECRET_ARN_V0.replace('123456789012', '210987654321'), STACK_ID, false],
    ['another region', SECRET_ARN_V0.replace('eu-west-1', 'us-east-1'), STACK_ID, false],
    [
      'another secret of the account',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf',
      STACK_ID,
      false,
    ],
    ['a physical id CloudFormation made up', MADE_UP_PHYSICAL_ID, STACK_ID, false],
    ['an empty id', '', STACK_ID, false],
    ['a stack id that is not one', SECRET_ARN_V0, 'not-a-stack-id', false],
  ])('%s: %s', (_, secretArn, stackId, expected) => {
    expect(isStackKeySecret(secretArn, stackId)).toBe(expected);
  });
});

describe('deleteTarget: the lineage a Delete closes', () => {
  const props = { SecretArn: SECRET_ARN_V0, RemovalPolicy: 'destroy' as const };
  test.each([
    ['its physical id, which the handler returned', SECRET_ARN_V0, props, 'lineage', 'physical id'],
    ['a cleanup Delete of an old lineage, named by its id', SECRET_ARN_V1, props, 'lineage', 'physical id'],
    [
      'an id CloudFormation made up (a cancelled or unanswered Create)',
      MADE_UP_PHYSICAL_ID,
      props,
      'lineage',
      'properties',
    ],
    ['a placeholder id of a Create that failed without a secret', 'failed-req-1', props, 'lineage', 'properties'],
    ['nothing of this stack', MADE_UP_PHYSICAL_ID, { ...props, SecretArn: '' }, 'none', undefined],
    [
      "another stack's secret in the properties",
      MADE_UP_PHYSICAL_ID,
      { ...props, SecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf' },
      'none',
      undefined,
    ],
    ['a retained key', SECRET_ARN_V0, { ...props, RemovalPolicy: 'retain' as const }, 'retain', undefined],
  ])('%s', (_, physicalId, properties, kind, namedBy) => {
    const target = deleteTarget(physicalId, properties, STACK_ID);
    expect(target.kind).toBe(kind);
    if (target.kind === 'lineage') {
      expect(target.namedBy).toBe(namedBy);
      expect(target.secretArn).toBe(namedBy === 'properties' ? SECRET_ARN_V0 : physicalId);
    }
  });
});

describe('updateKind: what an Update does, by the lineage its physical id names', () => {
  const v0 = { SecretArn: SECRET_ARN_V0 };
  const v1 = { SecretArn: SECRET_ARN_V1 };
  test.each([
    ['the same lineage (a removal policy change)', SECRET_ARN_V0, v0, v0, 'reconcile'],
    ['to a new lineage, leaving the one the id names', SECRET_ARN_V0, v1, v0, 'move'],
    ['back to the lineage the id names, from one never recorded', SECRET_ARN_V0, v0, v1, 'roll back'],
    ['back, carrying the newer id (the move was recorded)', SECRET_ARN_V1, v0, v1, 'move'],
    ['from properties that named no key secret', SECRET_ARN_V0, v0, { SecretArn: '' }, 'reconcile'],
    ['with an id that names neither lineage', MADE_UP_PHYSICAL_ID, v1, v0, 'reconcile'],
  ])('%s: %s', (_, physicalId, props, previous, expected) => {
    expect(updateKind(physicalId, props, previous, STACK_ID)).toBe(expected);
  });
});

describe('lineageState: what the secret holds as AWSCURRENT, and whether a closer retired it', () => {
  const placeholder = { secretString: '{"status":"awaiting-access-key"}' };
  const recorded = { secretString: JSON.stringify(key('AKIAONE')) };
  test.each([
    ['no current version: the secret is gone', undefined, false, 'missing'],
    ['the placeholder CloudFormation generated', placeholder, false, 'placeholder'],
    ['a key record', recorded, false, 'key'],
    ['the placeholder of a lineage a Delete retired', placeholder, true, 'retired'],
    ['a key record of a lineage a Delete retired', recorded, true, 'retired'],
  ])('%s', (_, current, retired, kind) => {
    expect(lineageState(current, retired).kind).toBe(kind);
  });
});

describe('keyDecision: adopt, create, replace a missing key, or refuse', () => {
  const recorded: LineageState = { kind: 'key', key: key('AKIAONE') };
  test.each<[string, LineageState, { accessKeyId: string }[], object]>([
    [
      'a placeholder: the first key, with the lineage token',
      { kind: 'placeholder' },
      [],
      {
        kind: 'create',
        token: lineageToken(SECRET_ARN_V0),
      },
    ],
    [
      'a recorded key on the bucket: adopt it',
      recorded,
      onBucket('AKIAONE'),
      { kind: 'adopt', accessKeyId: 'AKIAONE' },
    ],
    [
      'a recorded key gone from the bucket: replace it, with its replacement token',
      recorded,
      onBucket('AKIAOTHER'),
      {
        kind: 'create',
        token: replacementToken(SECRET_ARN_V0, 'AKIAONE'),
        replaces: 'AKIAONE',
      },
    ],
    [
      'a key of another bucket: refuse',
      { kind: 'key', key: key('AKIAONE', 'other') },
      onBucket('AKIAONE'),
      {
        kind: 'refuse',
        reason: 'other bucket',
      },
    ],
    ['a closed lineage: refuse', { kind: 'retired' }, [], { kind: 'refuse', reason: 'retired' }],
    ['a secret that is gone: refuse', { kind: 'missing' }, [], { kind: 'refuse', reason: 'missing' }],
  ])('%s', (_, state, bucketKeys, expected) => {
    expect(keyDecision(state, SECRET_ARN_V0, 'media-assets', bucketKeys)).toEqual(expected);
  });

  test.each([
    [[], true],
    [onBucket('AKIAONE'), true],
    [onBucket('AKIAONE', 'AKIATWO'), false],
  ])('a bucket with keys %j has a free slot: %s', (keys, expected) => {
    expect(hasFreeSlot(keys)).toBe(expected);
  });
});

describe('keysIn: the keys the versions of a secret record', () => {
  const version = (versionId: string, stages: string[], secretString?: string) => ({ versionId, stages, secretString });
  test('each key once, whichever versions record it; placeholders, markers and unwritten versions record none', () => {
    const versions = [
      version('v3', ['AWSCURRENT'], JSON.stringify(key('AKIACURRENT'))),
      version('v2', ['AWSPREVIOUS'], JSON.stringify(key('AKIAPREVIOUS'))),
      version('v1', [], JSON.stringify(key('AKIACURRENT'))),
      version('v0', [], '{"status":"awaiting-access-key","placeholder":"x"}'),
      version('claim', ['lineage:retired'], RETIRED_MARKER),
      version('rotation', ['AWSPENDING']),
    ];
    expect(keysIn(versions).map((k) => k.accessKeyId)).toEqual(['AKIACURRENT', 'AKIAPREVIOUS']);
  });

  test("a key recorded while Lightsail was still creating it names that operation, from its version's label", () => {
    const versions = [version('v1', ['AWSCURRENT', 'lineage:creating:op-1'], JSON.stringify(key('AKIANEW')))];
    expect(keysIn(versions)).toEqual([expect.objectContaining({ accessKeyId: 'AKIANEW', creatingOperation: 'op-1' })]);
  });
});
