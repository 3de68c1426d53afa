import { describe, expect, it } from 'vitest';
import { invokeUrl } from '../../src/aws/invoke-url.js';

describe('invokeUrl', () => {
  const cases: { name: string; aws: { endpointUrl?: string }; env: NodeJS.ProcessEnv; region: string; expected: string }[] = [
    {
      name: 'AWS: the execute-api host',
      aws: {},
      env: {},
      region: 'eu-west-1',
      expected: 'https://abc123.execute-api.eu-west-1.amazonaws.com/live/hooks/dockerhub/T',
    },
    {
      name: 'AWS China: its DNS suffix',
      aws: {},
      env: {},
      region: 'cn-north-1',
      expected: 'https://abc123.execute-api.cn-north-1.amazonaws.com.cn/live/hooks/dockerhub/T',
    },
    {
      name: '--endpoint-url: the emulator form',
      aws: { endpointUrl: 'http://127.0.0.1:4566' },
      env: {},
      region: 'us-east-1',
      expected: 'http://127.0.0.1:4566/restapis/abc123/live/_user_request_/hooks/dockerhub/T',
    },
    {
      name: 'a trailing slash is dropped',
      aws: { endpointUrl: 'http://127.0.0.1:4566/' },
      env: {},
      region: 'us-east-1',
      expected: 'http://127.0.0.1:4566/restapis/abc123/live/_user_request_/hooks/dockerhub/T',
    },
    {
      name: 'AWS_ENDPOINT_URL',
      aws: {},
      env: { AWS_ENDPOINT_URL: 'http://localhost:5000' },
      region: 'us-east-1',
      expected: 'http://localhost:5000/restapis/abc123/live/_user_request_/hooks/dockerhub/T',
    },
    {
      name: 'the API Gateway endpoint wins over the general one',
      aws: {},
      env: { AWS_ENDPOINT_URL: 'http://a:1', AWS_ENDPOINT_URL_API_GATEWAY: 'http://b:2' },
      region: 'us-east-1',
      expected: 'http://b:2/restapis/abc123/live/_user_request_/hooks/dockerhub/T',
    },
    {
      name: '--endpoint-url wins over the environment',
      aws: { endpointUrl: 'http://c:3' },
      env: { AWS_ENDPOINT_URL: 'http://a:1' },
      region: 'us-east-1',
      expected: 'http://c:3/restapis/abc123/live/_user_request_/hooks/dockerhub/T',
    },
    {
      name: 'an empty AWS_ENDPOINT_URL is AWS',
      aws: {},
      env: { AWS_ENDPOINT_URL: '' },
      region: 'us-east-1',
      expected: 'https://abc123.execute-api.us-east-1.amazonaws.com/live/hooks/dockerhub/T',
    },
  ];
  for (const { name, aws, env, region, expected } of cases) {
    it(name, () => {
      expect(invokeUrl(aws, env, region, 'abc123', 'live', 'T')).toBe(expected);
    });
  }
});
