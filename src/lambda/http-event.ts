/**
 * The HTTP events the receiver answers, reduced to what it reads. Three shapes reach it:
 * - API Gateway REST API proxy events (payload 1.0): `httpMethod`, `path`, `requestContext.identity.sourceIp`.
 *   Through a custom domain `path` includes the base path mapping (e.g. `/ci/hooks/dockerhub/<token>`).
 * - API Gateway HTTP API events (payload 2.0): `requestContext.http.method`, `rawPath`,
 *   `requestContext.http.sourceIp`; `rawPath` carries a named stage but not a custom domain's API mapping.
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * - Lambda function URL events, which use the 2.0 shape.
 *   https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
 * The receiver's route allows a few leading segments, so stages and base paths need no configuration.
 */
export interface HttpRequestFields {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly isBase64Encoded: boolean;
  readonly sourceIp: string | undefined;
  readonly format: 'rest-v1' | 'http-v2';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Strings only: the event's fields are typed by AWS's contract, not by anything this code can check. */
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const optionalText = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value.slice(0, 64) : undefined);

/** Undefined when the event is no object at all (`null`, a number): the caller answers 400. */
export function normaliseHttpEvent(event: unknown): HttpRequestFields | undefined {
  if (!isRecord(event)) return undefined;
  const context = isRecord(event.requestContext) ? event.requestContext : {};
  const http = isRecord(context.http) ? context.http : undefined;
  if (event.version === '2.0' || http !== undefined) {
    return {
      method: text(http?.method),
      path: text(event.rawPath),
      body: event.body,
      isBase64Encoded: event.isBase64Encoded === true,
      sourceIp: optionalText(http?.sourceIp),
      format: 'http-v2',
    };
  }
  const identity = isRecord(context.identity) ? context.identity : {};
  return {
    method: text(event.httpMethod),
    path: text(event.path),
    body: event.body,
    isBase64Encoded: event.isBase64Encoded === true,
    sourceIp: optionalText(identity.sourceIp),
    format: 'rest-v1',
  };
}
