import { webhookUrl } from '../core/install-plan.js';
import type { AwsConfig } from './config.js';

/**
 * The webhook URL a user can really call. On AWS it is the stage's execute-api URL
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html). Against an
 * emulator (--endpoint-url, or AWS_ENDPOINT_URL_API_GATEWAY / AWS_ENDPOINT_URL as the SDK reads them)
 * no such host resolves, so it is the emulator's own invoke form,
 * `{endpoint}/restapis/{id}/{stage}/_user_request_/{path}`, which moto, LocalStack and this
 * project's sandbox serve.
 */
export function invokeUrl(aws: AwsConfig, env: NodeJS.ProcessEnv, region: string, apiId: string, stage: string, token: string): string {
  const endpoint = aws.endpointUrl ?? env['AWS_ENDPOINT_URL_API_GATEWAY'] ?? env['AWS_ENDPOINT_URL'];
  if (endpoint === undefined || endpoint === '') return webhookUrl(region, apiId, stage, token);
  return `${endpoint.replace(/\/+$/, '')}/restapis/${apiId}/${stage}/_user_request_/hooks/dockerhub/${token}`;
}
