// `rollout --notify`: a receiver on loopback gets one document per outcome of a CLI rollout, and a
// receiver that fails, answers 500 or never answers changes neither the rollout's outcome nor its
// exit code. Each test runs the built CLI against the sandbox and checks the services through ECS.
import { DescribeServicesCommand, type CreateServiceCommandInput, type ECSClient, type Service } from '@aws-sdk/client-ecs';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { ServeProcess } from '../cli.js';
import { container, createCluster, createService, ecsClient, imagesOf, registerTaskDefinition, runCli, serviceTaskDefinition } from './helpers.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
let ecs: ECSClient;

/** The path stands for a chat webhook's secret: it must never appear in the CLI's output. */
const SECRET_PATH = '/services/T0SECRET/B0SECRET/notifysecretpath';

interface Receiver {
  readonly url: string;
  readonly documents: Record<string, unknown>[];
  close(): Promise<void>;
}

type Answer = (request: IncomingMessage, response: ServerResponse) => void;

/** A loopback HTTP server that records every JSON document POSTed to it and answers as `answer` says. */
async function startReceiver(answer: Answer = (_request, response) => response.writeHead(204).end()): Promise<Receiver> {
  const documents: Record<string, unknown>[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      expect(request.method).toBe('POST');
      expect(request.url).toBe(SECRET_PATH);
      expect(request.headers['content-type']).toBe('application/json');
      documents.push(JSON.parse(body) as Record<string, unknown>);
      answer(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${SECRET_PATH}`,
    documents,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const receivers: Receiver[] = [];
async function receiver(answer?: Answer): Promise<Receiver> {
  const started = await startReceiver(answer);
  receivers.push(started);
  return started;
}

const rollout = (args: string[]) => runCli(['rollout', ...args, '--poll-interval', '0.3', '--endpoint-url', endpoint]);

async function describeService(cluster: string, service: string): Promise<Service> {
  const found = (await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services?.[0];
  if (found === undefined) throw new Error(`${cluster}/${service} not found`);
  return found;
}

/** Until the service has one COMPLETED deployment and all its tasks run: the state a rollout starts from. */
async function steadyService(cluster: string, name: string, taskDefinition: string, extra: Partial<CreateServiceCommandInput> = {}): Promise<void> {
  await createService(ecs, cluster, name, taskDefinition, extra);
  for (let tries = 0; tries < 300; tries += 1) {
    const service = await describeService(cluster, name);
    const deployments = service.deployments ?? [];
    if (deployments.length === 1 && deployments[0]?.rolloutState === 'COMPLETED' && service.runningCount === service.desiredCount) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${cluster}/${name} never became steady`);
}

function expectNoSecret(...texts: string[]): void {
  for (const text of texts) {
    expect(text).not.toContain('notifysecretpath');
    expect(text).not.toContain('T0SECRET');
  }
}

beforeAll(() => {
  ecs = ecsClient(endpoint);
});

beforeEach(async () => {
  await sandbox.reset();
  await sandbox.config({ tick: 0.1 });
});

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((started) => started.close()));
});

describe('rollout --notify', () => {
  it('sends "started" then "completed" for a rollout that completes, each once, in the versioned envelope', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await steadyService('prod', 'web', source, { desiredCount: 2 });
    const hook = await receiver();

    const run = await rollout(['acme/web:1.1', '--notify', hook.url, '--json']);
    expect(run.code).toBe(0);
    expect(await imagesOf(ecs, await serviceTaskDefinition(ecs, 'prod', 'web'))).toEqual({ web: 'acme/web:1.1' });

    expect(hook.documents.map((document) => document.outcome)).toEqual(['started', 'completed']);
    for (const document of hook.documents) {
      expect(document).toMatchObject({ kind: 'ecs-roll-notification', version: 1, operation: 'rollout', source: 'cli', image: 'acme/web:1.1' });
      expect(typeof document.pushedAt).toBe('number');
      expect(Date.parse(String(document.time))).not.toBeNaN();
    }
    // One push time identifies the run's documents.
    expect(hook.documents[1]?.pushedAt).toBe(hook.documents[0]?.pushedAt);
    expect(hook.documents[1]).toMatchObject({ services: [{ cluster: 'prod', service: 'web', outcome: 'completed' }] });
    expect(hook.documents[1]?.text).toBe(':white_check_mark: ecs-roll: acme/web:1.1 is out on 1 service (prod/web)');
    // The JSON result stays the only thing on stdout, and nothing printed names the URL's secret part.
    expect(JSON.parse(run.stdout)).toMatchObject({ kind: 'rollout-result', ok: true });
    expectNoSecret(run.stdout, run.stderr);
  });

  it('sends "failed" with the reason and "rolled-back" for a broken image, and nothing for a dry run', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await steadyService('prod', 'api', source, {
      desiredCount: 2,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    const hook = await receiver();

    const dry = await rollout(['acme/web:broken-1.2', '--notify', hook.url, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(hook.documents).toEqual([]);
    expectNoSecret(dry.stdout, dry.stderr);

    const run = await rollout(['acme/web:broken-1.2', '--notify', hook.url, '--timeout', '4']);
    expect(run.code).toBe(1);
    expect((await describeService('prod', 'api')).taskDefinition).toBe(source);

    expect(hook.documents.map((document) => document.outcome)).toEqual(['started', 'failed', 'rolled-back']);
    const [, failed, back] = hook.documents as [
      unknown,
      { services: { service: string; reason: string; outcome: string }[]; text: string },
      { services: { service: string }[] },
    ];
    expect(failed.services).toEqual([expect.objectContaining({ cluster: 'prod', service: 'api', outcome: 'rolled-back' })]);
    expect(failed.services[0]?.reason).toMatch(/circuit breaker: tasks failed to start|deployment ecs-svc\/\d+ is gone/);
    expect(failed.text).toMatch(/^:x: ecs-roll: rollout of acme\/web:broken-1\.2 failed: prod\/api: /);
    expect(back.services.map((service) => service.service)).toEqual(['api']);
    expectNoSecret(run.stdout, run.stderr);
  });

  it('a receiver that answers 500, one that never answers and one that is not there do not change the outcome', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await steadyService('prod', 'web', source, { desiredCount: 1 });
    const failing = await receiver((_request, response) => response.writeHead(500).end('boom'));
    // Reads the document and never answers: only the CLI's own bound ends the request.
    const hanging = await receiver(() => {});
    const gone = await startReceiver();
    await gone.close();

    const run = await rollout(['acme/web:1.1', '--notify', failing.url, '--notify', hanging.url, '--notify', gone.url]);
    expect(run.code).toBe(0);
    expect(await imagesOf(ecs, await serviceTaskDefinition(ecs, 'prod', 'web'))).toEqual({ web: 'acme/web:1.1' });
    expect(run.stdout).toMatch(/Done/);

    // The failing receiver got both documents; the hanging one got the first and was given up on.
    expect(failing.documents.map((document) => document.outcome)).toEqual(['started', 'completed']);
    expect(hanging.documents.map((document) => document.outcome)).toEqual(['started']);
    const host = (url: string) => new URL(url).host;
    expect(run.stderr).toContain(`notification "started" to http://${host(failing.url)}/[redacted] not delivered: HTTP 500`);
    expect(run.stderr).toContain(`notification "started" to http://${host(hanging.url)}/[redacted] not delivered: no answer within 5 s`);
    expect(run.stderr).toContain(
      `notification "completed" to http://${host(hanging.url)}/[redacted] not sent: it did not answer earlier in this run`,
    );
    expect(run.stderr).toMatch(
      new RegExp(
        `notification "started" to http://${host(gone.url).replace('.', '\\.')}/\\[redacted\\] not delivered: fetch failed \\(ECONNREFUSED\\)`,
      ),
    );
    expectNoSecret(run.stdout, run.stderr);
  });

  it('scale --notify sends one "completed" document with the counts', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await steadyService('prod', 'web', source, { desiredCount: 1 });
    const hook = await receiver();

    const run = await runCli(['scale', 'prod/web', '--count', '3', '--notify', hook.url, '--poll-interval', '0.3', '--endpoint-url', endpoint]);
    expect(run.code).toBe(0);
    expect((await describeService('prod', 'web')).desiredCount).toBe(3);
    expect(hook.documents).toEqual([
      expect.objectContaining({
        kind: 'ecs-roll-notification',
        version: 1,
        operation: 'scale',
        outcome: 'completed',
        source: 'cli',
        services: [{ cluster: 'prod', service: 'web', outcome: 'completed', desiredCount: { from: 1, to: 3 } }],
        text: ':white_check_mark: ecs-roll: scaled prod/web from 1 to 3 tasks',
      }),
    ]);
    expectNoSecret(run.stdout, run.stderr);
  });

  it('serve tells each push: "ignored" by the policy, and the rollout\'s end, to targets from ECS_ROLL_NOTIFY', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0.0')]);
    await steadyService('prod', 'web', source, { desiredCount: 1 });
    const hook = await receiver();
    const token = randomBytes(32).toString('base64url');
    const { serve, base } = await ServeProcess.start({ endpoint, token, extraArgs: ['--policy', 'semver'], env: { ECS_ROLL_NOTIFY: hook.url } });
    try {
      const push = (tag: string) =>
        fetch(`${base}/hooks/dockerhub/${token}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ push_data: { pushed_at: Math.floor(Date.now() / 1000), tag }, repository: { repo_name: 'acme/web' } }),
        });
      expect((await push('nightly')).status).toBe(200);
      expect((await push('1.1.0')).status).toBe(202);
      await serve.waitFor((line) => line.event === 'notified' && line.outcome === 'completed', 60_000);
      expect(hook.documents.map((document) => [document.outcome, document.image, document.source])).toEqual([
        ['ignored', 'acme/web:nightly', 'webhook'],
        ['completed', 'acme/web:1.1.0', 'webhook'],
      ]);
      expect(await imagesOf(ecs, await serviceTaskDefinition(ecs, 'prod', 'web'))).toEqual({ web: 'acme/web:1.1.0' });
      expectNoSecret(serve.raw);
    } finally {
      await serve.stop();
    }
  });

  it('refuses a plain-http URL to another host, before any AWS call, without echoing it (exit 2)', async () => {
    const run = await rollout(['acme/web:1.1', '--notify', 'http://hooks.example.com/services/T0SECRET/x', '--json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--notify must use https (plain http is allowed only to localhost), got a URL to http://hooks.example.com');
    expect(JSON.parse(run.stdout)).toMatchObject({ exitCode: 2 });
    expectNoSecret(run.stdout, run.stderr);
    expect((await sandbox.calls()).filter((call) => call.service === 'ecs' || call.action.startsWith('List'))).toEqual([]);
  });
});
