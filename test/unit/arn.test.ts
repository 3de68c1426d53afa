import { describe, expect, it } from 'vitest';
import { isShortServiceArn } from '../../src/core/arn.js';

describe('isShortServiceArn', () => {
  it.each([
    ['arn:aws:ecs:eu-west-1:111122223333:service/web', true],
    ['arn:aws-cn:ecs:cn-north-1:111122223333:service/web', true],
    ['arn:aws:ecs:eu-west-1:111122223333:service/prod/web', false],
    ['arn:aws:ecs:eu-west-1:111122223333:task/prod/0123456789abcdef', false],
    ['arn:aws:ecs:eu-west-1:111122223333:cluster/web', false],
    ['arn:aws:lambda:eu-west-1:111122223333:service/web', false],
    ['service/web', false],
    ['arn:aws:ecs:eu-west-1:111122223333:service/', false],
  ])('%s → %s', (arn, expected) => {
    expect(isShortServiceArn(arn)).toBe(expected);
  });
});
