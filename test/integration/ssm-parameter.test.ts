// The functions read the notification URLs with a signed SSM GetParameter of their own (src/notify/ssm-parameter.ts,
// kept out of the SDK's SSM client for the bundle's size): proven here against the sandbox's SSM with real SigV4.
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { beforeAll, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { getSecureParameter } from '../../src/notify/ssm-parameter.js';
import { REGION } from './helpers.js';

const endpoint = sandboxEndpoint();
const env = { AWS_REGION: REGION, AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };

beforeAll(async () => {
  const ssm = new SSMClient({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  await ssm.send(
    new PutParameterCommand({ Name: '/ecs-roll/probe/notify-urls', Type: 'SecureString', Value: '["https://hooks.example/x"]', Overwrite: true }),
  );
  ssm.destroy();
});

describe('getSecureParameter', () => {
  it('answers the decrypted value', async () => {
    expect(await getSecureParameter('/ecs-roll/probe/notify-urls', { env, timeoutMs: 5000 })).toBe('["https://hooks.example/x"]');
  });

  it('names a missing parameter as the SDK would (ParameterNotFound)', async () => {
    await expect(getSecureParameter('/ecs-roll/absent', { env, timeoutMs: 5000 })).rejects.toMatchObject({ name: 'ParameterNotFound' });
  });

  it('refuses to guess a region', async () => {
    await expect(getSecureParameter('/x', { env: { AWS_ENDPOINT_URL: endpoint }, timeoutMs: 5000 })).rejects.toMatchObject({ name: 'ConfigError' });
  });
});
