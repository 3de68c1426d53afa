import { randomBytes } from 'node:crypto';
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { hashToken } from '../../src/webhook/config.js';
import { sandboxControl } from '../sandbox/client.js';
import {
  container,
  createCluster,
  createService,
  ecsClient,
  imagesOf,
  registerTaskDefinition,
  revisionCount,
  serviceTaskDefinition,
} from './helpers.js';
import { callPackagedHandler, useInvokeRecorder, usePackagedHandler } from './packaged-handler.js';
import { ServeProcess } from '../cli.js';
import { until } from '../eventually.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const TOKEN = randomBytes(32).toString('base64url');
let ecs: ECSClient;

function dockerHubPush(tag: string, pushedAt: number, repo = 'acme/web') {
  const [namespace, name] = repo.split('/');
  return {
    callback_url: 'http://127.0.0.1:9/must-never-be-called',
    push_data: { pushed_at: pushedAt, pusher: 'ci', tag },
    repository: { repo_name: repo, namespace, name, is_private: true, status: 'Active', repo_url: `https://hub.docker.com/r/${repo}` },
  };
}

async function seed(): Promise<string> {
  await createCluster(ecs, 'prod');
  const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
  await createService(ecs, 'prod', 'web', source, { desiredCount: 2 });
  await createService(ecs, 'prod', 'other', await registerTaskDefinition(ecs, 'other', [container('app', 'acme/other:1.0')]));
  return source;
}

async function primaryRolloutState(service: string): Promise<string | undefined> {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: [service] }));
  return answer.services?.[0]?.deployments?.find((deployment) => deployment.status === 'PRIMARY')?.rolloutState;
}

beforeAll(() => {
  ecs = ecsClient(endpoint);
});

beforeEach(async () => {
  await sandbox.reset();
  await sandbox.config({ tick: 0.1 });
});

describe('ecs-roll serve', () => {
  let serve: ServeProcess;
  let base: string;

  beforeEach(async () => {
    ({ serve, base } = await ServeProcess.start({ endpoint, token: TOKEN }));
  });

  afterEach(async () => {
    expect(await serve.stop()).toBe(0);
    expect(serve.raw).not.toContain(TOKEN);
  });

  const post = (body: unknown, token = TOKEN, init: RequestInit = {}) =>
    fetch(`${base}/hooks/dockerhub/${token}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), ...init });

  it('rolls a Docker Hub push out to the services, answering before the rollout finishes', async () => {
    const source = await seed();
    const response = await post(dockerHubPush('1.1', 1_767_225_600));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: 'accepted', image: 'acme/web:1.1' });

    const finished = await serve.waitFor((line) => line.event === 'job-finished');
    expect(finished.ok).toBe(true);
    const now = await serviceTaskDefinition(ecs, 'prod', 'web');
    expect(now).not.toBe(source);
    expect(await imagesOf(ecs, now)).toEqual({ web: 'acme/web:1.1' });
    expect(await primaryRolloutState('web')).toBe('COMPLETED');
    expect(await revisionCount(ecs, 'other')).toBe(1);
  });

  it('refuses bad calls with their status codes and changes nothing', async () => {
    const source = await seed();
    await sandbox.clearCalls();
    const cases: [string, () => Promise<Response>, number][] = [
      ['wrong token', () => post(dockerHubPush('1.1', 1_767_225_600), `${TOKEN.slice(0, -1)}${TOKEN.endsWith('A') ? 'B' : 'A'}`), 404],
      ['missing token', () => fetch(`${base}/hooks/dockerhub/`, { method: 'POST', body: '{}' }), 404],
      ['wrong method', () => fetch(`${base}/hooks/dockerhub/${TOKEN}`), 405],
      ['repository outside the allow-list', () => post(dockerHubPush('1.1', 1_767_225_600, 'acme/other')), 403],
      ['malformed JSON', () => post('{"push_data":'), 400],
      ['bad tag', () => post(dockerHubPush('1.1;reboot', 1_767_225_600)), 400],
      ['oversized body', () => post({ ...dockerHubPush('1.1', 1_767_225_600), padding: 'x'.repeat(70_000) }), 413],
    ];
    for (const [name, call, status] of cases) {
      const response = await call();
      expect(response.status, name).toBe(status);
      expect(response.headers.get('content-type'), name).toBe('application/json');
    }
    expect(await sandbox.calls()).toEqual([]);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source);
    // serve writes a line per request after answering it: the last may still be in the pipe.
    await until(
      'a log line for every request',
      () => serve.lines.filter((line) => line.event === 'webhook' || line.event === 'webhook-unauthenticated').length >= cases.length,
    );
    expect(serve.lines.filter((line) => line.event === 'webhook').map((line) => line.status)).toEqual(
      cases.map(([, , status]) => status).filter((status) => status !== 404),
    );
    // Requests without the token are logged apart, with where they came from.
    expect(serve.lines.filter((line) => line.event === 'webhook-unauthenticated').map((line) => [line.status, line.source])).toEqual([
      [404, expect.stringMatching(/127\.0\.0\.1$/)],
      [404, expect.stringMatching(/127\.0\.0\.1$/)],
    ]);
  });

  it('ignores a push older than the one that changed the service, and a duplicate', async () => {
    await seed();
    expect((await post(dockerHubPush('1.3', 1_767_300_000))).status).toBe(202);
    await serve.waitFor((line) => line.event === 'job-finished' && line.job === 'acme/web:1.3');
    const afterNewer = await serviceTaskDefinition(ecs, 'prod', 'web');
    expect(await imagesOf(ecs, afterNewer)).toEqual({ web: 'acme/web:1.3' });

    expect((await post(dockerHubPush('1.2', 1_767_200_000))).status).toBe(202);
    const stale = await serve.waitFor((line) => line.event === 'job-finished' && line.job === 'acme/web:1.2');
    expect(stale.services).toEqual([
      { cluster: 'prod', service: 'web', outcome: 'older-push', reason: expect.stringMatching(/older than the push \(1767300000\)/) },
    ]);

    expect((await post(dockerHubPush('1.3', 1_767_300_000))).status).toBe(202);
    await serve.waitFor(
      (line) => line.event === 'job-finished' && line.job === 'acme/web:1.3' && serve.lines.filter((l) => l.event === 'job-finished').length === 3,
    );

    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(afterNewer);
    expect(await revisionCount(ecs, 'web')).toBe(2);
  });
});

describe('the packaged Lambda handler', () => {
  const packaged = usePackagedHandler();
  const recorder = useInvokeRecorder();

  /** The packaged handler in a fresh node process, its Lambda calls sent to the recorder, ECS to the sandbox. */
  function invoke(entry: 'receive' | 'work', event: unknown) {
    return callPackagedHandler<unknown>(packaged.folder, entry, event, {
      ECS_ROLL_TOKEN_SHA256: hashToken(TOKEN),
      ECS_ROLL_REPOS: 'acme/web',
      ECS_ROLL_WORKER_FUNCTION: 'ecs-roll-worker',
      ECS_ROLL_POLL_INTERVAL: '0.3',
      ECS_ROLL_TIMEOUT: '30',
      AWS_ENDPOINT_URL_LAMBDA: recorder.url,
      AWS_ENDPOINT_URL_ECS: endpoint,
    });
  }

  function proxyEvent(path: string, body: string | null, method = 'POST') {
    return {
      resource: '/hooks/dockerhub/{token}',
      path,
      httpMethod: method,
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'Go-http-client/1.1' },
      multiValueHeaders: {},
      queryStringParameters: null,
      pathParameters: { token: path.split('/').pop() ?? '' },
      stageVariables: null,
      requestContext: {
        resourcePath: '/hooks/dockerhub/{token}',
        httpMethod: method,
        stage: 'live',
        requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      },
      body,
      isBase64Encoded: false,
    };
  }

  it('answers 404 to a bad token and 400 to a bad body, handing nothing over', async () => {
    const before = recorder.calls.length;
    const wrong = await invoke('receive', proxyEvent(`/hooks/dockerhub/${TOKEN}x`, JSON.stringify(dockerHubPush('1.1', 1_767_225_600))));
    expect(wrong.result).toMatchObject({ statusCode: 404 });
    const bad = await invoke('receive', proxyEvent(`/hooks/dockerhub/${TOKEN}`, '{"repository":{"repo_name":"acme/web"}}'));
    expect(bad.result).toMatchObject({ statusCode: 400 });
    expect(recorder.calls.length).toBe(before);
    expect(wrong.stdout + bad.stdout).not.toContain(TOKEN);
  });

  it('answers 202 to a good push and hands the job to the worker, which rolls it out', async () => {
    const source = await seed();
    const received = await invoke('receive', proxyEvent(`/hooks/dockerhub/${TOKEN}`, JSON.stringify(dockerHubPush('1.1', 1_767_225_600))));
    expect(received.result).toMatchObject({ statusCode: 202 });
    expect(JSON.parse((received.result as { body: string }).body)).toEqual({ status: 'accepted', image: 'acme/web:1.1' });
    expect(received.stdout).not.toContain(TOKEN);

    const handoff = recorder.calls.at(-1);
    expect(handoff?.path).toBe('/2015-03-31/functions/ecs-roll-worker/invocations');
    expect(handoff?.invocationType).toBe('Event');
    const job = JSON.parse(handoff?.body ?? '{}') as unknown;

    const worked = await invoke('work', job);
    expect(worked.result).toEqual({ ok: true });
    expect(worked.logs.map((line) => line.event)).toEqual(
      expect.arrayContaining(['job-started', 'plan', 'registered', 'service-updated', 'service-completed', 'job-finished']),
    );
    const now = await serviceTaskDefinition(ecs, 'prod', 'web');
    expect(now).not.toBe(source);
    expect(await imagesOf(ecs, now)).toEqual({ web: 'acme/web:1.1' });
    expect(await primaryRolloutState('web')).toBe('COMPLETED');

    // Lambda may deliver an async event twice: the second run changes nothing.
    const again = await invoke('work', job);
    expect(again.result).toEqual({ ok: true });
    expect(await revisionCount(ecs, 'web')).toBe(2);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(now);
  });

  it('ignores an event that is not a job', async () => {
    const worked = await invoke('work', { image: 'acme/web:9', callback_url: 'http://127.0.0.1:9/' });
    expect(worked.result).toEqual({ ok: false, reason: 'bad job' });
  });
});
