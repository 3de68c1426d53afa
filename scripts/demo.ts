/**
 * `npm run demo`: starts the ECS sandbox (moto plus a model of ECS's scheduler), seeds two clusters
 * running acme/web:1.0, rolls out 1.1 with live progress, then rolls out a broken build that the
 * deployment circuit breaker stops and ecs-roll rolls back and diagnoses, then shows where each version runs.
 * Then webhook mode: `install` puts the receiver and worker functions behind a REST API in the
 * sandbox, a Docker Hub payload is POSTed to the URL install printed, the worker rolls the services
 * to the pushed tag, and `uninstall` removes it all. Everything runs on loopback.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { startSandbox } from '../test/sandbox/sandbox.js';
import { container, createCluster, createService, ecsClient, registerTaskDefinition, TEST_ENV } from '../test/integration/helpers.js';

const cli = fileURLToPath(new URL('../bin/ecs-roll', import.meta.url));
Object.assign(process.env, TEST_ENV);

/** Runs ecs-roll without the rollout's --poll-interval, echoing its output and keeping it. */
function ecsRollCaptured(endpoint: string, args: string[]): Promise<{ code: number; stdout: string }> {
  console.log(`\n$ ecs-roll ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args, '--endpoint-url', endpoint], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      process.stdout.write(text);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout }));
  });
}

/** Prints each web service's image and rollout state until all are on `image` and COMPLETED. */
async function watchWebServices(endpoint: string, image: string, timeoutMs: number): Promise<boolean> {
  const ecs = ecsClient(endpoint);
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const states: string[] = [];
    for (const [cluster, services] of Object.entries(layout)) {
      const answer = await ecs.send(new DescribeServicesCommand({ cluster, services: services.filter((name) => name !== 'worker') }));
      for (const service of answer.services ?? []) {
        const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
        const definition = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: primary?.taskDefinition }));
        const current = definition.taskDefinition?.containerDefinitions?.[0]?.image;
        states.push(`${cluster}/${service.serviceName} ${current} ${primary?.rolloutState} ${service.runningCount}/${service.desiredCount}`);
      }
    }
    const line = states.join(' | ');
    if (line !== last) console.log(`  ${new Date().toISOString().slice(11, 19)} ${line}`);
    last = line;
    if (states.every((state) => state.includes(` ${image} COMPLETED`))) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

function ecsRoll(endpoint: string, args: string[]): Promise<number> {
  console.log(`\n$ ecs-roll ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args, '--endpoint-url', endpoint, '--poll-interval', '0.5'], {
      stdio: 'inherit',
      env: process.env,
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function show(endpoint: string, title: string): Promise<void> {
  const ecs = ecsClient(endpoint);
  console.log(`\n${title}`);
  for (const [cluster, services] of Object.entries(layout)) {
    const answer = await ecs.send(new DescribeServicesCommand({ cluster, services }));
    for (const service of answer.services ?? []) {
      console.log(
        `  ${cluster}/${service.serviceName}: ${service.taskDefinition?.split('/').pop()}, ${service.runningCount}/${service.desiredCount} running`,
      );
    }
  }
}

const layout: Record<string, string[]> = { production: ['web', 'web-canary', 'worker'], staging: ['web', 'worker'] };

const started = Date.now();
console.log('Starting the ECS sandbox (moto with a scheduler) on loopback…');
const sandbox = await startSandbox({ tickSeconds: 0.2 });
try {
  const ecs = ecsClient(sandbox.endpoint);
  for (const [cluster, services] of Object.entries(layout)) {
    await createCluster(ecs, cluster);
    const logs = {
      logDriver: 'awslogs' as const,
      options: { 'awslogs-group': `/ecs/${cluster}-web`, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'web' },
    };
    const web = await registerTaskDefinition(
      ecs,
      `${cluster}-web`,
      [container('web', 'acme/web:1.0', { logConfiguration: logs }), container('log-router', 'fluent/fluent-bit:3.0')],
      {
        tags: [{ key: 'team', value: 'storefront' }],
      },
    );
    const worker = await registerTaskDefinition(ecs, `${cluster}-worker`, [container('worker', 'acme/worker:2.3')]);
    for (const service of services) {
      await createService(ecs, cluster, service, service === 'worker' ? worker : web, {
        desiredCount: service === 'web' ? 3 : 2,
        launchType: 'FARGATE',
        deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
      });
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await show(sandbox.endpoint, 'Seeded: two clusters, services on acme/web:1.0 (workers run another image)');

  const good = await ecsRoll(sandbox.endpoint, ['rollout', 'acme/web:1.1', '--timeout', '60']);
  await show(sandbox.endpoint, `After rolling out acme/web:1.1 (exit ${good}):`);

  // A build that exits 1 on start (the sandbox's fail-exit1 tag): ecs-roll rolls back and says why, with the log tail.
  const broken = await ecsRoll(sandbox.endpoint, ['rollout', 'acme/web:fail-exit1-1.2', '--timeout', '60']);
  await show(sandbox.endpoint, `After the broken acme/web:fail-exit1-1.2 (exit ${broken}; the circuit breaker stopped it and ecs-roll rolled back):`);

  await ecsRoll(sandbox.endpoint, ['status', 'acme/web']);

  // Webhook mode: the sandbox runs the functions install creates, behind the REST API it serves.
  console.log('\nWebhook mode: install the receiver and worker into the sandbox, then push like Docker Hub does.');
  const installed = await ecsRollCaptured(sandbox.endpoint, ['install', '--repo', 'acme/web']);
  const url = /http:\/\/\S+\/hooks\/dockerhub\/[A-Za-z0-9_-]{43}/.exec(installed.stdout)?.[0];
  let webhookOk = false;
  if (installed.code === 0 && url !== undefined) {
    // As the CLI acts pass --poll-interval 0.5: the sandbox's deployments finish in seconds, so the
    // worker checks them every second instead of install's 10 s (its ECS_ROLL_POLL_INTERVAL).
    const lambda = new LambdaClient({ endpoint: sandbox.endpoint });
    const worker = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'ecs-roll-worker' }));
    const variables = { ...worker.Environment?.Variables, ECS_ROLL_POLL_INTERVAL: '1' };
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'ecs-roll-worker', Environment: { Variables: variables } }));
    console.log('\n(demo only: the worker polls ECS every 1 s, ECS_ROLL_POLL_INTERVAL=1, as the rollouts above used --poll-interval 0.5)');
    const payload = {
      callback_url: 'http://127.0.0.1:9/unused',
      push_data: { pushed_at: Math.floor(Date.now() / 1000), pusher: 'ci', tag: '1.3' },
      repository: { repo_name: 'acme/web', namespace: 'acme', name: 'web', status: 'Active' },
    };
    console.log(`\n$ curl -X POST ${url.replace(/[A-Za-z0-9_-]{43}$/, '<token>')} -d '<Docker Hub push of acme/web:1.3>'`);
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    console.log(`${response.status} ${await response.text()}`);
    console.log('The worker rolls every acme/web service:');
    webhookOk = response.status === 202 && (await watchWebServices(sandbox.endpoint, 'acme/web:1.3', 45_000));
    // The worker returns once its next check sees every deployment COMPLETED; its log streams meanwhile.
    const logs = new CloudWatchLogsClient({ endpoint: sandbox.endpoint });
    let finished: string | undefined;
    for (let waited = 0; finished === undefined && waited < 30_000; waited += 500) {
      const events = (await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/ecs-roll-worker' }))).events ?? [];
      finished = events.find((event) => event.message?.includes('"job-finished"'))?.message;
      if (finished === undefined) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    console.log(`Worker log (/aws/lambda/ecs-roll-worker), its last line:\n  ${finished ?? '(the worker has not finished)'}`);
    webhookOk &&= finished?.includes('"ok":true') === true;
  }
  const uninstalled = await ecsRollCaptured(sandbox.endpoint, ['uninstall']);

  console.log(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  if (good !== 0 || broken !== 1 || !webhookOk || uninstalled.code !== 0) {
    console.error(
      `unexpected: exit ${good} for the good rollout (want 0), ${broken} for the broken one (want 1), ` +
        `webhook act ${webhookOk ? 'ok' : 'failed'}, uninstall exit ${uninstalled.code}`,
    );
    process.exitCode = 1;
  }
} finally {
  await sandbox.stop();
}
