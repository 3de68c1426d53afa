// The classifier over real wording: stop reasons from AWS's "Stopped tasks error codes" and the
// CannotPullContainer / OutOfMemoryError / ResourceInitializationError troubleshooting pages, and
// service event messages from "Service event messages" (URLs in src/core/diagnosis.ts).
import { describe, expect, it } from 'vitest';
import { classifyFailure, type FailureEvidence, type StoppedTask } from '../../src/core/diagnosis.js';
import { diagnoseService, DIAGNOSIS_LIMITS, type DiagnosisPort } from '../../src/core/diagnosis-gather.js';
import { redactor } from '../../src/core/redact.js';

const ARN = 'arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef';
const none: FailureEvidence = { ending: 'failed', stoppedTasks: [], events: [], targetHealth: [], logTails: [] };

function task(stopCode: string, stoppedReason: string, containers: StoppedTask['containers'] = []): StoppedTask {
  return { taskArn: ARN, stopCode, stoppedReason, containers };
}

const cases: { name: string; evidence: Partial<FailureEvidence>; cause: string }[] = [
  {
    name: 'CannotPullContainerError: image not found',
    evidence: {
      stoppedTasks: [
        task(
          'TaskFailedToStart',
          'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/acme/web:9.9: docker.io/acme/web:9.9: not found',
        ),
      ],
    },
    cause: 'image-pull',
  },
  {
    name: 'CannotPullContainerError on the container, ECR access denied',
    evidence: {
      stoppedTasks: [
        task('TaskFailedToStart', 'CannotPullContainerError: Error response from daemon', [
          {
            name: 'web',
            reason:
              'CannotPullContainerError: pull access denied for 123456789012.dkr.ecr.us-east-1.amazonaws.com/web, repository does not exist or may require authorization',
          },
        ]),
      ],
    },
    cause: 'image-pull',
  },
  {
    name: 'OutOfMemoryError: Container killed due to memory usage',
    evidence: {
      stoppedTasks: [
        task('EssentialContainerExited', 'Essential container in task exited', [
          { name: 'web', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' },
        ]),
      ],
    },
    cause: 'out-of-memory',
  },
  {
    name: 'Essential container in task exited, exit 1',
    evidence: {
      stoppedTasks: [
        task('EssentialContainerExited', 'Essential container in task exited', [
          { name: 'web', exitCode: 1 },
          { name: 'sidecar', exitCode: 0 },
        ]),
      ],
    },
    cause: 'container-exit',
  },
  {
    name: 'exit 137 without a memory reason is a plain exit',
    evidence: { stoppedTasks: [task('EssentialContainerExited', 'Essential container in task exited', [{ name: 'web', exitCode: 137 }])] },
    cause: 'container-exit',
  },
  {
    name: 'Task failed ELB health checks',
    evidence: {
      stoppedTasks: [
        task(
          'ServiceSchedulerInitiated',
          'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc)',
          [{ name: 'web', exitCode: 143 }],
        ),
      ],
    },
    cause: 'health-check',
  },
  {
    name: 'Task failed container health checks, container UNHEALTHY',
    evidence: {
      stoppedTasks: [
        task('ServiceSchedulerInitiated', 'Task failed container health checks', [{ name: 'web', exitCode: 143, healthStatus: 'UNHEALTHY' }]),
      ],
    },
    cause: 'health-check',
  },
  {
    name: 'service event: unhealthy in target-group',
    evidence: {
      events: [
        '(service web) (task 0123) (port 8080) is unhealthy in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc) due to (reason Health checks failed with these codes: [502]).',
      ],
    },
    cause: 'health-check',
  },
  {
    name: 'ELB target unhealthy: Target.ResponseCodeMismatch',
    evidence: {
      targetHealth: [
        {
          targetGroup: 'targetgroup/web/abc',
          target: '10.0.1.5:8080',
          state: 'unhealthy',
          reason: 'Target.ResponseCodeMismatch',
          description: 'Health checks failed with these codes: [404]',
        },
      ],
    },
    cause: 'health-check',
  },
  {
    name: 'ResourceInitializationError: unable to pull secrets',
    evidence: {
      stoppedTasks: [
        task(
          'TaskFailedToStart',
          'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): AccessDeniedException: User is not authorized to perform: secretsmanager:GetSecretValue',
        ),
      ],
    },
    cause: 'secrets-or-iam',
  },
  {
    name: 'a step refused by IAM',
    evidence: {
      reason: 'UpdateService failed: User: arn:aws:sts::1:assumed-role/ci is not authorized to perform: ecs:UpdateService (AccessDeniedException)',
    },
    cause: 'secrets-or-iam',
  },
  {
    name: 'service event: unable to place a task, insufficient memory',
    evidence: {
      ending: 'timed-out',
      events: [
        '(service web) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance 0123) has insufficient memory available. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.',
      ],
    },
    cause: 'no-capacity',
  },
  {
    name: 'service event: no container instances',
    evidence: {
      events: [
        '(service web) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster.',
      ],
    },
    cause: 'no-capacity',
  },
  {
    name: 'TaskFailedToStart: RESOURCE:MEMORY',
    evidence: { stoppedTasks: [task('TaskFailedToStart', 'TaskFailedToStart: RESOURCE:MEMORY')] },
    cause: 'no-capacity',
  },
  { name: 'deadline with nothing else', evidence: { ending: 'timed-out', reason: 'the deployment did not finish within 900 s' }, cause: 'timeout' },
  {
    name: 'circuit breaker with no stopped task left',
    evidence: { reason: 'ECS deployment circuit breaker: tasks failed to start.' },
    cause: 'unknown',
  },
  {
    name: 'a spot interruption is not a build problem',
    evidence: { stoppedTasks: [task('SpotInterruption', 'Your Spot Task was interrupted.')] },
    cause: 'unknown',
  },
  {
    name: 'CannotStartContainerError is not guessed at',
    evidence: {
      stoppedTasks: [
        task(
          'TaskFailedToStart',
          'CannotStartContainerError: Error response from daemon: OCI runtime create failed: exec: "/app/start.sh": permission denied: unknown',
        ),
      ],
    },
    cause: 'unknown',
  },
];

describe('classifyFailure', () => {
  it.each(cases)('$name → $cause', ({ evidence, cause }) => {
    const diagnosis = classifyFailure({ ...none, ...evidence });
    expect(diagnosis.cause).toBe(cause);
    expect(diagnosis.hint.length).toBeGreaterThan(10);
    expect(diagnosis.summary).not.toBe('');
    if (cause !== 'timeout') expect(diagnosis.evidence.length).toBeGreaterThan(0);
  });

  it("quotes the target group's reason beside a task stopped for failed ELB health checks", () => {
    const diagnosis = classifyFailure({
      ...none,
      reason: 'ECS deployment circuit breaker: tasks failed to start.',
      stoppedTasks: [
        task(
          'ServiceSchedulerInitiated',
          'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc)',
        ),
      ],
      events: [
        '(service web) (task 0123) (port 8080) is unhealthy in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc) due to (reason Health checks failed with these codes: [500]).',
      ],
      targetHealth: [
        {
          targetGroup: 'targetgroup/web/abc',
          target: '10.0.1.5:8080',
          state: 'unhealthy',
          reason: 'Target.ResponseCodeMismatch',
          description: 'Health checks failed with these codes: [500]',
        },
      ],
    });
    expect(diagnosis.cause).toBe('health-check');
    expect(diagnosis.summary).toBe('Tasks failed their load balancer health checks (Target.ResponseCodeMismatch).');
    expect(diagnosis.evidence.map((item) => item.source)).toEqual(['stopped-task', 'target-health', 'service-event', 'deployment']);
  });

  it('keeps the log tail of a crashed container', () => {
    const diagnosis = classifyFailure({
      ...none,
      stoppedTasks: [task('EssentialContainerExited', 'Essential container in task exited', [{ name: 'web', exitCode: 2 }])],
      logTails: [{ container: 'web', lines: ['panic: nil map'] }],
    });
    expect(diagnosis).toMatchObject({
      cause: 'container-exit',
      summary: 'Essential container web exited with code 2.',
      logTail: [{ container: 'web', lines: ['panic: nil map'] }],
    });
  });
});

describe('redactor', () => {
  it('masks secret ARNs and known values, leaves short ones', () => {
    const redact = redactor(['s3cr3t-value', 'true']);
    expect(redact('failed to fetch secret arn:aws:secretsmanager:us-east-1:1:secret:db-AbC from secrets manager')).toBe(
      'failed to fetch secret [redacted] from secrets manager',
    );
    expect(redact('param arn:aws:ssm:us-east-1:1:parameter/prod/db, then')).toBe('param [redacted], then');
    expect(redact('password=s3cr3t-value ok=true')).toBe('password=[redacted] ok=true');
  });
});

/** A port that counts its calls; the ELB reads are a stub because the sandbox has no load balancer model. */
function stubPort(overrides: Partial<DiagnosisPort> = {}): { port: DiagnosisPort; calls: string[] } {
  const calls: string[] = [];
  const newArn = 'arn:aws:ecs:us-east-1:1:task-definition/web:2';
  const port: DiagnosisPort = {
    async describeService() {
      calls.push('DescribeServices');
      return {
        deployments: [{ id: 'd1', createdAt: 1000 }],
        events: [{ message: 'old', createdAt: 500 }],
        targetGroupArns: ['tg-a', 'tg-b', 'tg-c'],
      };
    },
    async listStoppedTasks() {
      calls.push('ListTasks');
      return ['t1', 't2'];
    },
    async describeTasks() {
      calls.push('DescribeTasks');
      return [1, 2, 3].map((n) => ({
        taskArn: `arn:aws:ecs:us-east-1:1:task/prod/t${n}`,
        taskDefinitionArn: newArn,
        stoppedAt: 2000 + n,
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: 'Task failed ELB health checks in (target-group tg-a)',
        containers: [
          { name: 'web', exitCode: 143 },
          { name: 'proxy', exitCode: 1 },
          { name: 'agent', exitCode: 1 },
        ],
      }));
    },
    async describeTaskDefinition() {
      calls.push('DescribeTaskDefinition');
      return {
        containers: ['web', 'proxy', 'agent'].map((name) => ({ name, awslogs: { group: '/ecs/web', streamPrefix: 'p' } })),
        sensitive: ['super-secret-token'],
      };
    },
    async targetHealth(arn) {
      calls.push(`DescribeTargetHealth ${arn}`);
      return [
        {
          targetGroup: arn,
          target: '10.0.0.1:80',
          state: 'unhealthy',
          reason: 'Target.ResponseCodeMismatch',
          description: 'Health checks failed with these codes: [500]',
        },
      ];
    },
    async logTail(_group, stream, _region, limit) {
      calls.push(`GetLogEvents ${stream}`);
      return Array.from({ length: limit + 5 }, (_, i) => `line ${i} token=super-secret-token ${'x'.repeat(300)}`);
    },
    ...overrides,
  };
  return { port, calls };
}

describe('diagnoseService', () => {
  it('stays within its call bound and log budget, reads target health, masks secrets', async () => {
    const { port, calls } = stubPort();
    const diagnosis = await diagnoseService(port, {
      cluster: 'prod',
      service: 'web',
      newTaskDefinitionArn: 'arn:aws:ecs:us-east-1:1:task-definition/web:2',
      deploymentId: 'd1',
      since: 0,
      ending: 'failed',
    });
    expect(calls.length).toBeLessThanOrEqual(DIAGNOSIS_LIMITS.callsPerService);
    expect(calls.filter((call) => call.startsWith('DescribeTargetHealth'))).toEqual(['DescribeTargetHealth tg-a', 'DescribeTargetHealth tg-b']);
    expect(calls.filter((call) => call.startsWith('GetLogEvents'))).toEqual(['GetLogEvents p/web/t3', 'GetLogEvents p/proxy/t3']);
    expect(diagnosis.cause).toBe('health-check');
    const tails = diagnosis.logTail ?? [];
    const bytes = tails.flatMap((tail) => tail.lines).join('\n').length;
    expect(bytes).toBeLessThanOrEqual(DIAGNOSIS_LIMITS.logBytes);
    expect(tails[0]?.lines.length).toBeLessThanOrEqual(DIAGNOSIS_LIMITS.logLines);
    expect(JSON.stringify(diagnosis)).not.toContain('super-secret-token');
  });

  it('classifies from ELB target health when no task stopped, and survives reads that fail', async () => {
    const { port } = stubPort({
      async listStoppedTasks() {
        return [];
      },
      async logTail() {
        throw new Error('AccessDeniedException');
      },
    });
    const diagnosis = await diagnoseService(port, { cluster: 'prod', service: 'web', newTaskDefinitionArn: 'x', since: 0, ending: 'timed-out' });
    expect(diagnosis.cause).toBe('health-check');
    expect(diagnosis.summary).toContain('Target.ResponseCodeMismatch');
    expect(diagnosis.evidence[0]).toMatchObject({ source: 'target-health' });
  });

  it('makes no call for a service that failed before it had a deployment', async () => {
    const { port, calls } = stubPort();
    const diagnosis = await diagnoseService(port, {
      cluster: 'prod',
      service: 'web',
      since: 0,
      ending: 'failed',
      reason: 'UpdateService failed: ServiceNotActiveException',
    });
    expect(calls).toEqual([]);
    expect(diagnosis.cause).toBe('unknown');
  });
});
