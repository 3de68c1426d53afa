// GetFunction's TagsError cannot be produced by the sandbox for the CLI's own (unrestricted) credentials,
// so the Lambda client here is a stand-in that answers as AWS documents.
import type { GetFunctionCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { functionTags } from '../../src/aws/function-tags.js';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:ecs-roll-worker';

function client(answer: () => Promise<unknown>): { lambda: LambdaClient; calls: string[] } {
  const calls: string[] = [];
  const lambda = {
    send: async (command: { constructor: { name: string } }) => {
      calls.push(command.constructor.name);
      return answer();
    },
  } as unknown as LambdaClient;
  return { lambda, calls };
}

const got = (extra: Partial<GetFunctionCommandOutput>): GetFunctionCommandOutput =>
  ({ $metadata: {}, Configuration: { FunctionArn: ARN, FunctionName: 'ecs-roll-worker' }, ...extra }) as GetFunctionCommandOutput;

describe('functionTags', () => {
  it('takes the tags GetFunction returned, asking nothing more', async () => {
    const { lambda, calls } = client(async () => ({}));
    expect(await functionTags(lambda, got({ Tags: { 'ecs-roll:install': 'ecs-roll' } }))).toEqual({ 'ecs-roll:install': 'ecs-roll' });
    expect(calls).toEqual([]);
  });

  it('asks ListTags when GetFunction answered TagsError', async () => {
    const { lambda, calls } = client(async () => ({ Tags: { 'ecs-roll:install': 'ecs-roll' } }));
    const tags = await functionTags(lambda, got({ TagsError: { ErrorCode: 'AccessDeniedException', Message: 'no lambda:ListTags' } }));
    expect(tags).toEqual({ 'ecs-roll:install': 'ecs-roll' });
    expect(calls).toEqual(['ListTagsCommand']);
  });

  it('stops naming lambda:ListTags when ListTags is refused too', async () => {
    const { lambda } = client(async () => {
      throw Object.assign(new Error('not authorized to perform: lambda:ListTags'), { name: 'AccessDeniedException' });
    });
    await expect(functionTags(lambda, got({ TagsError: { ErrorCode: 'AccessDeniedException', Message: 'x' } }))).rejects.toThrow(
      /allow lambda:ListTags/,
    );
  });

  it('a function without tags has none', async () => {
    const { lambda, calls } = client(async () => ({}));
    expect(await functionTags(lambda, got({}))).toEqual({});
    expect(calls).toEqual([]);
  });
});
