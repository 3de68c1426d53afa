import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { clientConfig } from '../aws/config.js';

/**
 * The receiver's clients, one per service for the life of the execution environment: a warm invocation reuses
 * the client's connections and credentials instead of building new ones (and leaving the old ones behind).
 * "Initialize SDK clients and database connections outside of the function handler":
 * https://docs.aws.amazon.com/lambda/latest/dg/best-practices.html
 * A hand-off must answer well within API Gateway's 29 s, hence the shorter request timeout.
 */
const HAND_OFF_TIMEOUT_MS = 10_000;

let sqs: Promise<SQSClient> | undefined;
let lambda: Promise<LambdaClient> | undefined;

export function receiverSqs(): Promise<SQSClient> {
  sqs ??= import('@aws-sdk/client-sqs').then(({ SQSClient }) => new SQSClient(clientConfig({}, { requestTimeoutMs: HAND_OFF_TIMEOUT_MS })));
  return sqs;
}

export function receiverLambda(): Promise<LambdaClient> {
  lambda ??= import('@aws-sdk/client-lambda').then(
    ({ LambdaClient }) => new LambdaClient(clientConfig({}, { requestTimeoutMs: HAND_OFF_TIMEOUT_MS })),
  );
  return lambda;
}

let workerSqsClient: Promise<SQSClient> | undefined;

/** SQS for the worker's queue calls (queue URLs, follow messages, visibility), with the SDK's own timeouts. */
export function workerSqs(): Promise<SQSClient> {
  workerSqsClient ??= import('@aws-sdk/client-sqs').then(({ SQSClient }) => new SQSClient({}));
  return workerSqsClient;
}
