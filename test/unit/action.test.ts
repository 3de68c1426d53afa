import { describe, expect, it } from 'vitest';
import { errorCommand, escapeCommandData, outputEntry } from '../../src/action/github.js';
import { inActionTerms, inputVariable, readActionInputs } from '../../src/action/inputs.js';
import {
  actionOutcome,
  failedServices,
  failureMessage,
  servicesChanged,
  taskDefinitionArns,
  type RolloutDocument,
  type ServiceView,
} from '../../src/action/outcome.js';
import { UsageError } from '../../src/core/errors.js';
import { planRollout } from '../../src/core/plan.js';
import { planSummaryMarkdown } from '../../src/core/step-summary.js';
import { aContainer, anObservedState, aRequest, aService, aTaskDefinition, taskDefinitionArnOf } from './builders.js';

const ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition';

function service(outcome: ServiceView['outcome'], extra: Partial<ServiceView> = {}): ServiceView {
  return {
    cluster: 'prod',
    service: `svc-${outcome}`,
    outcome,
    oldTaskDefinitionArn: `${ARN}/web:1`,
    newTaskDefinitionArn: `${ARN}/web:2`,
    ...extra,
  };
}

function result(ok: boolean, services: ServiceView[]): RolloutDocument {
  return {
    kind: 'rollout-result',
    ok,
    target: { image: 'acme/web:2' },
    registrations: [{ family: 'web', from: `${ARN}/web:1`, to: `${ARN}/web:2` }],
    services,
  };
}

describe('workflow commands', () => {
  it.each([
    ['plain', 'plain'],
    ['100% done', '100%25 done'],
    ['two\nlines', 'two%0Alines'],
    ['crlf\r\nend', 'crlf%0D%0Aend'],
    // Already-escaped text is escaped again, so the runner shows it as written.
    ['%0A literal', '%250A literal'],
    ['::error:: inside', '::error:: inside'],
  ])('escapes %j as %j', (text, escaped) => {
    expect(escapeCommandData(text)).toBe(escaped);
  });

  it('writes one ::error:: line whatever the message holds', () => {
    expect(errorCommand('prod/web failed:\nexit 1 (50%)')).toBe('::error::prod/web failed:%0Aexit 1 (50%25)\n');
  });

  it('writes an output as name<<delimiter, the value, the delimiter, with a fresh random delimiter each time', () => {
    const value = '{\n  "ok": true\n}';
    const entry = outputEntry('result', value);
    const match = /^result<<(ghadelimiter_[0-9a-f-]{36})\n([\s\S]*)\n\1\n$/.exec(entry);
    expect(match?.[2]).toBe(value);
    expect(outputEntry('result', value)).not.toBe(entry);
  });
});

describe('reading the inputs as the runner passes them', () => {
  it.each([
    ['image', 'INPUT_IMAGE'],
    ['dry-run', 'INPUT_DRY-RUN'],
    ['expect-services', 'INPUT_EXPECT-SERVICES'],
    ['some input', 'INPUT_SOME_INPUT'],
  ])('names %j %j', (name, variable) => {
    expect(inputVariable(name)).toBe(variable);
  });

  it('turns inputs into the options commander would have produced', () => {
    const request = readActionInputs({
      INPUT_IMAGE: ' acme/web:2 ',
      INPUT_CLUSTERS: 'prod\nstaging, canary\n',
      INPUT_SERVICES: '',
      'INPUT_DRY-RUN': 'TRUE',
      INPUT_WAIT: 'false',
      INPUT_ROLLBACK: 'False',
      INPUT_TIMEOUT: '600',
      'INPUT_POLL-INTERVAL': '20',
      INPUT_REGION: 'eu-west-1',
      'INPUT_REQUIRE-MATCH': 'true',
    });
    expect(request).toEqual({
      image: 'acme/web:2',
      options: {
        cluster: ['prod', 'staging, canary'],
        dryRun: true,
        wait: false,
        rollback: false,
        timeout: '600',
        pollInterval: '20',
        region: 'eu-west-1',
        requireMatch: true,
      },
    });
  });

  it.each([
    [{}, /input "image" is required/],
    [{ INPUT_IMAGE: '   ' }, /input "image" is required/],
    [{ INPUT_IMAGE: 'a:1', INPUT_FORCE: 'yes' }, /input "force" must be true or false, got "yes"/],
  ])('refuses %j as a usage error', (env, message) => {
    expect(() => readActionInputs(env)).toThrow(UsageError);
    expect(() => readActionInputs(env)).toThrow(message);
  });

  it('passes expect-services on as rollout --expect-services', () => {
    expect(readActionInputs({ INPUT_IMAGE: 'a:1', 'INPUT_EXPECT-SERVICES': '3' }).options).toEqual({ expectServices: '3' });
  });

  it.each([
    ['--timeout must be a positive number of seconds, got "x"', 'input "timeout" must be a positive number of seconds, got "x"'],
    [
      '--poll-interval below 10 s is only allowed against an emulator (--endpoint-url)',
      'input "poll-interval" below 10 s is only allowed against an emulator (--endpoint-url)',
    ],
    ['--no-rollback and --rollback', 'input "rollback" and input "rollback"'],
    ['--cluster-name stays', '--cluster-name stays'],
  ])('words %j in terms of inputs', (message, worded) => {
    expect(inActionTerms(message)).toBe(worded);
  });
});

describe('outputs from the rollout document', () => {
  it.each<[string, RolloutDocument, string, number]>([
    ['deployed', result(true, [service('completed'), service('unchanged')]), 'deployed', 1],
    ['updated without waiting', result(true, [service('updated')]), 'deployed', 1],
    ['nothing to do', result(true, [service('unchanged'), service('skipped')]), 'unchanged', 0],
    ['no service runs it', result(true, []), 'unchanged', 0],
    ['rolled back', result(false, [service('rolled-back'), service('not-started'), service('unchanged')]), 'rolled-back', 0],
    ['rollback failed', result(false, [service('rolled-back'), service('rollback-failed')]), 'failed', 0],
    ['failed without rollback', result(false, [service('failed'), service('completed')]), 'failed', 1],
    ['timed out', result(false, [service('timed-out')]), 'failed', 0],
    ['superseded', result(false, [service('superseded')]), 'failed', 0],
    [
      'dry run',
      { kind: 'rollout-plan', dryRun: true, target: { image: 'acme/web:2' }, services: [service('planned', { action: 'update' })] },
      'unchanged',
      0,
    ],
  ])('%s: outcome %s', (_name, document, outcome, changed) => {
    expect(actionOutcome(document)).toBe(outcome);
    expect(servicesChanged(document)).toBe(changed);
  });

  it('lists the registered revisions and the services to annotate', () => {
    const document = result(false, [
      service('completed'),
      service('rolled-back', { reason: 'timed out; rolled back to web:1' }),
      service('not-started'),
    ]);
    expect(taskDefinitionArns(document)).toEqual([`${ARN}/web:2`]);
    expect(failedServices(document).map((entry) => entry.outcome)).toEqual(['rolled-back']);
  });

  it('names the service and the diagnosis when there is one, else the reason', () => {
    const diagnosed = service('rolled-back', {
      reason: 'deployment failed',
      diagnosis: { cause: 'image-pull', summary: 'CannotPullContainerError: acme/web:9 not found', hint: 'check the tag was pushed' },
    });
    expect(failureMessage(diagnosed)).toBe(
      'prod/svc-rolled-back rolled-back: image-pull: CannotPullContainerError: acme/web:9 not found (check the tag was pushed)',
    );
    expect(failureMessage(service('failed', { reason: 'circuit breaker' }))).toBe('prod/svc-failed failed: circuit breaker');
    expect(failureMessage(service('timed-out'))).toBe('prod/svc-timed-out timed-out: no reason given');
  });
});

describe('the job summary of a dry run', () => {
  it('lists the services that would move, and says nothing was changed', () => {
    const web1 = aTaskDefinition({ family: 'web', revision: 1, containers: [aContainer({ name: 'app', image: 'acme/web:1' })] });
    const state = anObservedState(
      [
        aService({ clusterName: 'prod', serviceName: 'web|api', taskDefinitionArn: web1.arn }),
        aService({ clusterName: 'prod', serviceName: 'done', taskDefinitionArn: taskDefinitionArnOf('other', 3) }),
      ],
      [web1, aTaskDefinition({ family: 'other', revision: 3, containers: [aContainer({ name: 'app', image: 'acme/web:2' })] })],
    );
    expect(planSummaryMarkdown(planRollout(state, aRequest('acme/web:2')))).toBe(
      [
        '### ecs-roll: plan for `acme/web:2` (dry run, nothing was changed)',
        '',
        '| service | from → to | action |',
        '|---|---|---|',
        '| prod/web\\|api | web:1 → a new web revision | update |',
        '',
        '',
      ].join('\n'),
    );
    expect(planSummaryMarkdown(planRollout(anObservedState([], []), aRequest('acme/web:2')))).toContain('| (no service to move) | | |');
  });
});
