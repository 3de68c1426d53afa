/**
 * Why a service's rollout did not finish: the evidence ECS left behind, classified into one cause.
 * This module is the one place the diagnosis types live; renderers, the webhook log and other
 * consumers import them from here.
 *
 * The wording matched comes from AWS's pages:
 * - Stopped tasks error codes: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html
 * - CannotPullContainer errors: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html
 * - OutOfMemoryError: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/out-of-memory.html
 * - ResourceInitializationError: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/resource-initialization-error.html
 * - Service event messages: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html
 *   and the unhealthy ones: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-unhealthy-event-messages.html
 * - API failure reasons (TaskFailedToStart: RESOURCE:*): https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html
 * - ELB target health reason codes: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/check-target-health.html
 *   and https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html
 */

export const DIAGNOSIS_CAUSES = [
  'image-pull',
  'out-of-memory',
  'container-exit',
  'health-check',
  'secrets-or-iam',
  'no-capacity',
  'timeout',
  'unknown',
] as const;
export type DiagnosisCause = (typeof DIAGNOSIS_CAUSES)[number];

export type EvidenceSource = 'stopped-task' | 'container' | 'service-event' | 'target-health' | 'deployment';

export interface Evidence {
  readonly source: EvidenceSource;
  readonly text: string;
}

export interface LogTail {
  readonly container: string;
  /** The last lines of the container's awslogs stream, oldest first. */
  readonly lines: readonly string[];
}

export interface Diagnosis {
  readonly cause: DiagnosisCause;
  /** One sentence: what went wrong. */
  readonly summary: string;
  /** One line: what to do about it. */
  readonly hint: string;
  /** What decided the cause, most telling first (at most a few items). */
  readonly evidence: readonly Evidence[];
  readonly logTail?: readonly LogTail[];
}

export interface StoppedContainer {
  readonly name: string;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly healthStatus?: string;
}

export interface StoppedTask {
  readonly taskArn: string;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly healthStatus?: string;
  readonly containers: readonly StoppedContainer[];
}

export interface TargetHealthEntry {
  readonly targetGroup: string;
  readonly target: string;
  readonly state: string;
  readonly reason?: string;
  readonly description?: string;
}

/** Everything gathered about one service after its rollout failed. */
export interface FailureEvidence {
  /** How the wait ended: the deployment failed (or was rolled back by ECS), or the deadline passed. */
  readonly ending: 'failed' | 'timed-out';
  /** The executor's reason for the outcome (the deployment's rolloutStateReason, or what it waited for). */
  readonly reason?: string;
  /** Tasks of the new revision that stopped since the deployment began, newest first. */
  readonly stoppedTasks: readonly StoppedTask[];
  /** Service event messages since the deployment began, newest first. */
  readonly events: readonly string[];
  readonly targetHealth: readonly TargetHealthEntry[];
  readonly logTails: readonly LogTail[];
}

const IMAGE_PULL =
  /CannotPullContainerError|pull image manifest|failed to resolve ref|manifest unknown|pull access denied|repository does not exist|image not found/i;
const SECRETS_OR_IAM =
  /ResourceInitializationError|unable to (?:pull|retrieve) secrets?|unable to retrieve secret|AccessDenied|not authorized to perform|AccessDeniedException|ParameterNotFound|ResourceNotFoundException: Secrets Manager/i;
const OUT_OF_MEMORY = /OutOfMemoryError|killed due to memory usage/i;
const HEALTH_STOP = /failed (?:ELB|container) health checks?|failed (?:Elastic Load Balancing|load balancer) health check/i;
const UNHEALTHY_EVENT = /is unhealthy in \(target-group|health checks? failed|failed (?:ELB|container) health checks/i;
const NO_CAPACITY =
  /was unable to place a task|insufficient (?:CPU|memory)|No Container Instances were found|already using a port|RESOURCE:(?:CPU|MEMORY|PORTS)|no container instance met all of its requirements/i;
const ESSENTIAL_EXITED = /Essential container in task exited/i;

const HINTS: Record<DiagnosisCause, string> = {
  'image-pull':
    'Check that the tag exists in the registry and that the execution role (or repositoryCredentials) may pull it; on Fargate the subnet needs a route to the registry.',
  'out-of-memory': "Raise the container's memory (or the task's) in the task definition, or find what grew; the log tail shows what it was doing.",
  'container-exit': 'The new version exits on start: read the log tail, then fix the build or its configuration.',
  'health-check': "Check the health check's command, path, port and grace period against what the new version serves.",
  'secrets-or-iam':
    'Check that every secret and parameter the task definition names exists, and that the execution role may read it (and its KMS key).',
  'no-capacity': 'Add capacity (container instances or a capacity provider), lower the task size, or roll out with --strategy replace.',
  timeout: 'The deployment was still going at the deadline: see what it waited for, then raise --timeout or fix that.',
  unknown: 'No known failure pattern in what ECS reported; the evidence above is all there was.',
};

interface Found {
  readonly cause: DiagnosisCause;
  readonly summary: string;
  readonly evidence: Evidence[];
}

function taskText(task: StoppedTask): string {
  return [task.stopCode, task.stoppedReason].filter((part) => part !== undefined && part !== '').join(': ');
}

function taskId(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

function containerText(container: StoppedContainer): string {
  const parts = [`container ${container.name}`];
  if (container.exitCode !== undefined) parts.push(`exit ${container.exitCode}`);
  if (container.healthStatus === 'UNHEALTHY') parts.push('UNHEALTHY');
  if (container.reason !== undefined && container.reason !== '') parts.push(container.reason);
  return parts.join(', ');
}

function stopEvidence(task: StoppedTask): Evidence {
  return { source: 'stopped-task', text: `task ${taskId(task.taskArn)}: ${taskText(task)}` };
}

/** The first stopped task (newest first) with a container or stop reason matching `pattern`. */
function findInTasks(tasks: readonly StoppedTask[], pattern: RegExp): { task: StoppedTask; container?: StoppedContainer } | undefined {
  for (const task of tasks) {
    const container = task.containers.find((candidate) => pattern.test(candidate.reason ?? ''));
    if (container !== undefined) return { task, container };
    if (pattern.test(task.stoppedReason ?? '')) return { task };
  }
  return undefined;
}

function fromStoppedTasks(tasks: readonly StoppedTask[]): Found | undefined {
  const pull = findInTasks(tasks, IMAGE_PULL);
  if (pull !== undefined) {
    return {
      cause: 'image-pull',
      summary: `Tasks could not pull the image${pull.container === undefined ? '' : ` of container ${pull.container.name}`} (CannotPullContainerError).`,
      evidence: [stopEvidence(pull.task)],
    };
  }
  const secrets = findInTasks(tasks, SECRETS_OR_IAM);
  if (secrets !== undefined) {
    return {
      cause: 'secrets-or-iam',
      summary: 'Tasks could not start: ECS could not fetch their secrets or lacked a permission (ResourceInitializationError).',
      evidence: [stopEvidence(secrets.task)],
    };
  }
  for (const task of tasks) {
    const killed = task.containers.find((container) => OUT_OF_MEMORY.test(container.reason ?? ''));
    if (killed !== undefined) {
      return {
        cause: 'out-of-memory',
        summary: `Container ${killed.name} was killed for using more memory than it may${killed.exitCode === undefined ? '' : ` (exit ${killed.exitCode})`}.`,
        evidence: [{ source: 'container', text: `task ${taskId(task.taskArn)}: ${containerText(killed)}` }, stopEvidence(task)],
      };
    }
  }
  for (const task of tasks) {
    const unhealthy = task.containers.find((container) => container.healthStatus === 'UNHEALTHY');
    if (HEALTH_STOP.test(task.stoppedReason ?? '') || unhealthy !== undefined) {
      return {
        cause: 'health-check',
        summary: `Tasks failed their health checks${unhealthy === undefined ? '' : ` (container ${unhealthy.name} UNHEALTHY)`}.`,
        evidence: [stopEvidence(task), ...(unhealthy === undefined ? [] : [{ source: 'container' as const, text: containerText(unhealthy) }])],
      };
    }
  }
  for (const task of tasks) {
    const exited = task.containers.find((container) => container.exitCode !== undefined && container.exitCode !== 0);
    if (exited !== undefined && (task.stopCode === 'EssentialContainerExited' || ESSENTIAL_EXITED.test(task.stoppedReason ?? ''))) {
      return {
        cause: 'container-exit',
        summary: `Essential container ${exited.name} exited with code ${exited.exitCode}.`,
        evidence: [{ source: 'container', text: `task ${taskId(task.taskArn)}: ${containerText(exited)}` }, stopEvidence(task)],
      };
    }
  }
  const placement = findInTasks(tasks, NO_CAPACITY);
  if (placement !== undefined) {
    return {
      cause: 'no-capacity',
      summary: 'ECS could not place the new tasks: the cluster has no room for them.',
      evidence: [stopEvidence(placement.task)],
    };
  }
  return undefined;
}

function fromHealthAndEvents(evidence: FailureEvidence): Found | undefined {
  const unhealthyTargets = evidence.targetHealth.filter((entry) => entry.state === 'unhealthy');
  const unhealthyEvent = evidence.events.find((message) => UNHEALTHY_EVENT.test(message));
  if (unhealthyTargets.length > 0 || unhealthyEvent !== undefined) {
    const first = unhealthyTargets[0];
    return {
      cause: 'health-check',
      summary: `Tasks failed their load balancer health checks${first?.reason === undefined ? '' : ` (${first.reason})`}.`,
      evidence: [
        ...unhealthyTargets.slice(0, 2).map((entry) => ({
          source: 'target-health' as const,
          text: `${entry.target} in ${entry.targetGroup}: ${entry.state}${entry.reason === undefined ? '' : ` (${entry.reason})`}${entry.description === undefined ? '' : `: ${entry.description}`}`,
        })),
        ...(unhealthyEvent === undefined ? [] : [{ source: 'service-event' as const, text: unhealthyEvent }]),
      ],
    };
  }
  const placement = evidence.events.find((message) => NO_CAPACITY.test(message));
  if (placement !== undefined) {
    return {
      cause: 'no-capacity',
      summary: 'ECS could not place the new tasks: the cluster has no room for them.',
      evidence: [{ source: 'service-event', text: placement }],
    };
  }
  // ECS repeats an event only every so often, so the one that explains a stuck deployment may predate it;
  // the executor quotes it in its reason.
  if (NO_CAPACITY.test(evidence.reason ?? '')) {
    return { cause: 'no-capacity', summary: 'ECS could not place the new tasks: the cluster has no room for them.', evidence: [] };
  }
  return undefined;
}

/**
 * One cause for a failed rollout of one service. Stopped tasks say the most (they name the
 * container and its reason), then target health and service events; a deadline with nothing
 * more telling is a timeout, and anything else is `unknown` with the evidence shown, no guess.
 */
export function classifyFailure(evidence: FailureEvidence): Diagnosis {
  const fromTasks = fromStoppedTasks(evidence.stoppedTasks);
  const fromBalancer = fromHealthAndEvents(evidence);
  // A task stopped for failed ELB health checks names only the target group; the target's reason code
  // (or the event quoting it) says what the check got, so both go in.
  const found =
    fromTasks?.cause === 'health-check' && fromBalancer?.cause === 'health-check'
      ? { cause: fromTasks.cause, summary: fromBalancer.summary, evidence: [...fromTasks.evidence, ...fromBalancer.evidence] }
      : (fromTasks ?? fromBalancer);
  const deployment: Evidence[] = evidence.reason === undefined || evidence.reason === '' ? [] : [{ source: 'deployment', text: evidence.reason }];
  const logTail = evidence.logTails.filter((tail) => tail.lines.length > 0);
  const withLogs = (diagnosis: Omit<Diagnosis, 'logTail'>): Diagnosis => (logTail.length === 0 ? diagnosis : { ...diagnosis, logTail });
  if (found !== undefined) {
    return withLogs({
      cause: found.cause,
      summary: found.summary,
      hint: HINTS[found.cause],
      evidence: [...found.evidence, ...deployment].slice(0, 4),
    });
  }
  if (SECRETS_OR_IAM.test(evidence.reason ?? '')) {
    // A step refused by IAM (UpdateService, RegisterTaskDefinition) leaves only its error.
    return withLogs({
      cause: 'secrets-or-iam',
      summary: 'A call ecs-roll made was refused: a permission is missing.',
      hint: HINTS['secrets-or-iam'],
      evidence: deployment,
    });
  }
  if (evidence.ending === 'timed-out') {
    return withLogs({
      cause: 'timeout',
      summary: 'The deployment was still in progress at the deadline.',
      hint: HINTS.timeout,
      evidence: deployment,
    });
  }
  const other: Evidence[] = [
    ...evidence.stoppedTasks.slice(0, 1).map(stopEvidence),
    ...evidence.events.slice(0, 1).map((text) => ({ source: 'service-event' as const, text })),
  ];
  return withLogs({
    cause: 'unknown',
    summary: 'The deployment failed for a reason ecs-roll does not recognise.',
    hint: HINTS.unknown,
    evidence: [...deployment, ...other],
  });
}
