/**
 * How the AWS seam classifies SDK errors. These decide whether a key creation may be retried (it must not be when
 * it may have made a key), whether a key or secret counts as gone, and whether a token was taken first.
 */
import {
  AccessDeniedException,
  InvalidInputException,
  LightsailServiceException,
  NotFoundException,
  ServiceException,
} from '@aws-sdk/client-lightsail';
import {
  InvalidRequestException,
  ResourceExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-secrets-manager';
import {
  isMarkedForDeletion,
  isNotFound,
  isThrottling,
  isTokenTaken,
  mayHaveTakenEffect,
} from '../../lambda/shared/aws';

const status = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
const lightsailError = (name: string, httpStatusCode: number, message = name) =>
  new LightsailServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    message,
    ...status(httpStatusCode),
  });
const socketError = Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });

type Classifier = (error: unknown) => boolean;
const classifiers: Record<string, Classifier> = {
  isThrottling,
  mayHaveTakenEffect,
  isNotFound,
  isMarkedForDeletion,
  isTokenTaken,
};

// Each row: an error as the SDK throws it, and the classifiers that must say yes (all others must say no).
test.each<[string, unknown, string[]]>([
  [
    'ThrottlingException (HTTP 400): the service did nothing',
    lightsailError('ThrottlingException', 400),
    ['isThrottling'],
  ],
  ['any error answered with HTTP 429', lightsailError('TooManyRequestsException', 429), ['isThrottling']],
  [
    'a server fault (HTTP 500): the call may have taken effect',
    new ServiceException({ message: 'internal', ...status(500) } as never),
    ['mayHaveTakenEffect'],
  ],
  ['no HTTP answer (a dropped connection, a timeout)', socketError, ['mayHaveTakenEffect']],
  ['a refusal (HTTP 400)', new InvalidInputException({ message: 'limit', ...status(400) } as never), []],
  ['access denied', new AccessDeniedException({ message: 'denied', ...status(400) } as never), []],
  [
    "Lightsail's typed NotFoundException",
    new NotFoundException({ message: 'The access key does not exist', ...status(400) } as never),
    ['isNotFound'],
  ],
  [
    'an untyped error whose text says "DoesNotExist" (seen by terraform-provider-aws)',
    lightsailError('OperationFailureException', 400, 'Resource DoesNotExist'),
    ['isNotFound'],
  ],
  [
    "Secrets Manager's ResourceNotFoundException",
    new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", ...status(400) }),
    ['isNotFound'],
  ],
  [
    'a secret scheduled for deletion',
    new InvalidRequestException({
      message: "You can't perform this operation on the secret because it was marked for deletion.",
      ...status(400),
    }),
    ['isMarkedForDeletion'],
  ],
  [
    'another InvalidRequestException',
    new InvalidRequestException({ message: 'You provided a parameter value that is not valid.', ...status(400) }),
    [],
  ],
  [
    'a token used first with another value',
    new ResourceExistsException({ message: 'A version with this token already exists', ...status(400) }),
    ['isTokenTaken'],
  ],
  ['nothing at all', undefined, ['mayHaveTakenEffect']],
])('%s', (_, error, expected) => {
  const said = Object.entries(classifiers)
    .filter(([, classify]) => classify(error))
    .map(([name]) => name);
  expect(said.sort()).toEqual(expected.sort());
});
