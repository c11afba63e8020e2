import { idempotencyToken, parseKeySecret, serializeKeySecret } from '../../lambda/shared/key-secret';
import { REDACTED, redact, redactLater, redactSecretsIn } from '../../lambda/shared/redact';

describe('key secret records', () => {
  const value = {
    accessKeyId: 'AKIAEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    bucketName: 'media-assets',
    region: 'eu-west-1',
    endpoint: 'https://s3.eu-west-1.amazonaws.com',
    bucketUrl: 'https://media-assets.s3.eu-west-1.amazonaws.com/',
  };

  test('a written record reads back unchanged, in a fixed member order', () => {
    const text = serializeKeySecret({ ...value, endpoint: value.endpoint });
    expect(parseKeySecret(text)).toEqual(value);
    const { endpoint, ...rest } = value;
    expect(serializeKeySecret({ endpoint, ...rest })).toBe(text);
  });

  test.each([
    ['the placeholder', '{"status":"awaiting-access-key","placeholder":"abc"}'],
    ['no value', undefined],
    ['not JSON', 'AKIA...'],
    ['JSON that is not an object', '"text"'],
    ['null', 'null'],
    ['a record without its secret', JSON.stringify({ accessKeyId: 'AKIA', bucketName: 'b' })],
  ])('%s is no key record', (_, text) => {
    expect(parseKeySecret(text)).toBeUndefined();
  });

  test('a secret read from a key secret is masked in later output', () => {
    redactSecretsIn(serializeKeySecret(value));
    expect(redact(`oops ${value.secretAccessKey} oops`)).toBe(`oops ${REDACTED} oops`);
  });

  test('short strings are not treated as secrets', () => {
    redactLater('abc');
    expect(redact('abc')).toBe('abc');
  });
});

describe('idempotency tokens', () => {
  test('are UUID-shaped, stable for the same parts and different for different ones', () => {
    const token = idempotencyToken('stack', 'Key', 'request-1');
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(idempotencyToken('stack', 'Key', 'request-1')).toBe(token);
    expect(idempotencyToken('stack', 'Key', 'request-2')).not.toBe(token);
    // Parts are separated, so shifting text between them changes the token.
    expect(idempotencyToken('stack', 'Keyrequest-1', '')).not.toBe(token);
  });
});
