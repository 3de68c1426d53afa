import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { parseRolloutOptions, type RawRolloutOptions } from '../../src/cli/options.js';
import { colorLevel, shortArn, type CliIo } from '../../src/cli/render.js';

const IMAGE = 'nginx:2';

function usageErrorOf(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    return error as UsageError;
  }
  throw new Error('expected a UsageError, got none');
}

describe('parseRolloutOptions', () => {
  it('has the documented defaults', () => {
    expect(parseRolloutOptions(IMAGE, {}, {})).toEqual({
      image: IMAGE,
      clusters: [],
      services: [],
      allFamilies: false,
      strategy: 'rolling',
      dryRun: false,
      wait: true,
      timeoutSeconds: 1800,
      timeoutIsDefault: true,
      pollIntervalMs: 10_000,
      rollback: true,
      force: false,
      runBefore: [],
      runTimeoutSeconds: 1800,
      notify: [],
      json: false,
      aws: {},
      registry: { verify: true, pinDigest: false, mirrors: new Map(), timeoutMs: 15_000 },
    });
  });

  it('parses each --run-before spec before any AWS call, in order, and --run-timeout', () => {
    const options = parseRolloutOptions(
      IMAGE,
      { runBefore: ['service=web,container=app,command=a', 'service=api,container=api,command=b c'], runTimeout: '60' },
      {},
    );
    expect(options.runBefore.map((spec) => spec.command)).toEqual([['a'], ['b', 'c']]);
    expect(options.runTimeoutSeconds).toBe(60);
    expect(() => parseRolloutOptions(IMAGE, { runBefore: ['service=web'] }, {})).toThrow(/--run-before "service=web": container is missing/);
    expect(() => parseRolloutOptions(IMAGE, { runTimeout: '0' }, {})).toThrow(/--run-timeout must be a positive number of seconds/);
  });

  it('takes commander’s negated flags (--no-wait, --no-rollback)', () => {
    const options = parseRolloutOptions(IMAGE, { wait: false, rollback: false, force: true, dryRun: true, json: true, allFamilies: true }, {});
    expect(options).toMatchObject({ wait: false, rollback: false, force: true, dryRun: true, json: true, allFamilies: true });
  });

  it('an explicit --timeout, even of 900, is not the default a bake time extends', () => {
    expect(parseRolloutOptions(IMAGE, { timeout: '900' }, {})).toMatchObject({ timeoutSeconds: 900, timeoutIsDefault: false });
  });

  it.each(['rolling', 'replace'])('accepts strategy %s', (strategy) => {
    expect(parseRolloutOptions(IMAGE, { strategy }, {}).strategy).toBe(strategy);
  });

  it.each(['blue-green', 'Rolling', '', 'canary'])('rejects strategy %j with exit code 2', (strategy) => {
    expect(usageErrorOf(() => parseRolloutOptions(IMAGE, { strategy }, {})).message).toContain('--strategy');
  });

  it.each([
    { timeout: '60', seconds: 60 },
    { timeout: '1.5', seconds: 1.5 },
    { timeout: ' 30 ', seconds: 30 },
  ])('accepts timeout $timeout', ({ timeout, seconds }) => {
    expect(parseRolloutOptions(IMAGE, { timeout }, {}).timeoutSeconds).toBe(seconds);
  });

  it.each(['abc', '0', '-5', '', '  ', 'Infinity', 'NaN', '10s'])('rejects timeout %j with exit code 2', (timeout) => {
    expect(usageErrorOf(() => parseRolloutOptions(IMAGE, { timeout }, {})).message).toContain('--timeout');
  });

  it.each(['abc', '0', '-1', ''])('rejects poll interval %j with exit code 2', (pollInterval) => {
    expect(usageErrorOf(() => parseRolloutOptions(IMAGE, { pollInterval, endpointUrl: 'http://localhost:5000' }, {})).message).toContain(
      '--poll-interval',
    );
  });

  it.each([
    { case: 'with --endpoint-url', raw: { endpointUrl: 'http://localhost:5000' }, env: {} },
    { case: 'with AWS_ENDPOINT_URL', raw: {}, env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' } },
  ])('allows --poll-interval 0.2 $case', ({ raw, env }) => {
    expect(parseRolloutOptions(IMAGE, { ...raw, pollInterval: '0.2' }, env).pollIntervalMs).toBe(200);
  });

  it.each(['0.2', '1', '9.99'])('refuses --poll-interval %s against AWS', (pollInterval) => {
    expect(usageErrorOf(() => parseRolloutOptions(IMAGE, { pollInterval }, {})).message).toContain('--endpoint-url');
  });

  it.each([
    { pollInterval: '10', ms: 10_000 },
    { pollInterval: '30', ms: 30_000 },
  ])('allows --poll-interval $pollInterval against AWS', ({ pollInterval, ms }) => {
    expect(parseRolloutOptions(IMAGE, { pollInterval }, {}).pollIntervalMs).toBe(ms);
  });

  it.each(['not a url', 'ftp://localhost:21'])('rejects --endpoint-url %j', (endpointUrl) => {
    usageErrorOf(() => parseRolloutOptions(IMAGE, { endpointUrl }, {}));
  });

  it('passes region, profile and endpoint to the AWS configuration', () => {
    expect(parseRolloutOptions(IMAGE, { region: 'eu-west-1', profile: 'ci', endpointUrl: 'http://localhost:5000' }, {}).aws).toEqual({
      region: 'eu-west-1',
      profile: 'ci',
      endpointUrl: 'http://localhost:5000',
    });
  });

  it.each<{ case: string; raw: RawRolloutOptions; clusters: string[]; services: string[] }>([
    { case: 'one value', raw: { cluster: ['prod'] }, clusters: ['prod'], services: [] },
    { case: 'comma-separated', raw: { cluster: ['prod,staging'] }, clusters: ['prod', 'staging'], services: [] },
    { case: 'repeated', raw: { cluster: ['prod', 'staging'] }, clusters: ['prod', 'staging'], services: [] },
    { case: 'mixed, with spaces and empties', raw: { cluster: ['prod, staging,', ' ,qa'] }, clusters: ['prod', 'staging', 'qa'], services: [] },
    { case: 'services too', raw: { service: ['web,api', 'worker'] }, clusters: [], services: ['web', 'api', 'worker'] },
    {
      case: 'ARNs',
      raw: { cluster: ['arn:aws:ecs:us-east-1:123456789012:cluster/prod'] },
      clusters: ['arn:aws:ecs:us-east-1:123456789012:cluster/prod'],
      services: [],
    },
  ])('--cluster/--service: $case', ({ raw, clusters, services }) => {
    const options = parseRolloutOptions(IMAGE, raw, {});
    expect(options.clusters).toEqual(clusters);
    expect(options.services).toEqual(services);
  });
});

describe('colorLevel', () => {
  const io = (isTTY: boolean, env: NodeJS.ProcessEnv = {}): CliIo => ({
    stdout: { write: () => true, isTTY },
    stderr: { write: () => true, isTTY },
    env,
  });

  it.each<{ case: string; tty: boolean; env: NodeJS.ProcessEnv; flag: boolean | undefined; level: 0 | 1 }>([
    { case: 'a terminal', tty: true, env: {}, flag: undefined, level: 1 },
    { case: 'a terminal, commander’s default color=true', tty: true, env: {}, flag: true, level: 1 },
    { case: 'not a terminal', tty: false, env: {}, flag: undefined, level: 0 },
    { case: 'not a terminal, commander’s default color=true', tty: false, env: {}, flag: true, level: 0 },
    { case: '--no-color on a terminal', tty: true, env: {}, flag: false, level: 0 },
    { case: '--no-color beats FORCE_COLOR', tty: true, env: { FORCE_COLOR: '1' }, flag: false, level: 0 },
    { case: 'NO_COLOR on a terminal', tty: true, env: { NO_COLOR: '1' }, flag: undefined, level: 0 },
    { case: 'empty NO_COLOR is ignored', tty: true, env: { NO_COLOR: '' }, flag: undefined, level: 1 },
    { case: 'FORCE_COLOR off a terminal', tty: false, env: { FORCE_COLOR: '1' }, flag: undefined, level: 1 },
    { case: 'FORCE_COLOR beats NO_COLOR', tty: false, env: { FORCE_COLOR: '1', NO_COLOR: '1' }, flag: undefined, level: 1 },
    { case: 'FORCE_COLOR=0 leaves a pipe plain', tty: false, env: { FORCE_COLOR: '0' }, flag: undefined, level: 0 },
    { case: 'FORCE_COLOR=false leaves a pipe plain', tty: false, env: { FORCE_COLOR: 'false' }, flag: undefined, level: 0 },
    { case: 'TERM=dumb', tty: true, env: { TERM: 'dumb' }, flag: undefined, level: 0 },
  ])('$case → $level', ({ tty, env, flag, level }) => {
    expect(colorLevel(io(tty, env), flag)).toBe(level);
  });
});

describe('shortArn', () => {
  it.each([
    { arn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:3', short: 'web:3' },
    { arn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web', short: 'web' },
    { arn: 'web:3', short: 'web:3' },
    { arn: undefined, short: '-' },
  ])('$arn → $short', ({ arn, short }) => {
    expect(shortArn(arn)).toBe(short);
  });
});
