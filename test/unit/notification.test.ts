import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import {
  buildNotification,
  escapeSlack,
  MAX_DOCUMENT_BYTES,
  MAX_SERVICES,
  NOTIFICATION_KIND,
  NOTIFICATION_VERSION,
  type OutcomeNotice,
} from '../../src/core/notification.js';
import { describeTarget, isLoopbackHost, parseNotifyTarget, parseNotifyTargets } from '../../src/core/notify-target.js';
import { errorNotice, finishedNotices, startedNotice } from '../../src/core/rollout-notices.js';
import type { RolloutResult, ServiceOutcome } from '../../src/core/execute-shared.js';
import type { DeploymentPlan } from '../../src/core/plan.js';
import { parseRolloutOptions } from '../../src/cli/options.js';

const NOW = new Date('2026-11-30T12:00:00.000Z');
const SECRET_URL = 'https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX';

describe('parseNotifyTarget', () => {
  const accepted: [string, unknown][] = [
    [SECRET_URL, { kind: 'url', url: SECRET_URL }],
    ['https://example.com', { kind: 'url', url: 'https://example.com/' }],
    ['https://user:pw@example.com:8443/hook?key=1', { kind: 'url', url: 'https://user:pw@example.com:8443/hook?key=1' }],
    ['http://127.0.0.1:9000/hook', { kind: 'url', url: 'http://127.0.0.1:9000/hook' }],
    ['http://localhost/hook', { kind: 'url', url: 'http://localhost/hook' }],
    ['http://[::1]:8080/', { kind: 'url', url: 'http://[::1]:8080/' }],
    [
      'arn:aws:sns:us-east-1:123456789012:deploys',
      { kind: 'sns', topicArn: 'arn:aws:sns:us-east-1:123456789012:deploys', region: 'us-east-1', fifo: false },
    ],
    [
      'arn:aws-cn:sns:cn-north-1:123456789012:d.fifo',
      { kind: 'sns', topicArn: 'arn:aws-cn:sns:cn-north-1:123456789012:d.fifo', region: 'cn-north-1', fifo: true },
    ],
  ];
  it.each(accepted)('accepts %s', (value, expected) => {
    expect(parseNotifyTarget(value)).toEqual(expected);
  });

  const refused: [string, RegExp][] = [
    ['http://example.com/hook', /must use https \(plain http is allowed only to localhost\), got a URL to http:\/\/example\.com/],
    ['http://10.0.0.1/hook', /plain http is allowed only to localhost/],
    ['http://127.0.0.1.evil.com/hook', /plain http is allowed only to localhost/],
    ['ftp://example.com/x', /got a ftp URL/],
    ['file:///etc/passwd', /got a file URL/],
    ['hooks.slack.com/services/T000/B000/secret', /takes an https URL or an SNS topic ARN; the value given is neither/],
    ['', /the value given is neither/],
    ['arn:aws:sqs:us-east-1:123456789012:queue', /not an SNS topic's/],
    ['arn:aws:sns:us-east-1:12345:topic', /not an SNS topic's/],
  ];
  it.each(refused)('refuses %s with a usage error (exit 2)', (value, message) => {
    let caught: unknown;
    try {
      parseNotifyTarget(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).exitCode).toBe(2);
    expect((caught as UsageError).message).toMatch(message);
  });

  it('never echoes a refused URL path (it may be a secret with a typo)', () => {
    expect(() => parseNotifyTarget('http://example.com/services/SECRETPATH')).toThrow(/^(?!.*SECRETPATH)/);
    expect(() => parseNotifyTarget('hooks.example.com/SECRETPATH')).toThrow(/^(?!.*SECRETPATH)/);
  });

  it('keeps each target once, in order', () => {
    expect(parseNotifyTargets([SECRET_URL, 'arn:aws:sns:us-east-1:123456789012:t', SECRET_URL]).map((target) => target.kind)).toEqual(['url', 'sns']);
    expect(parseNotifyTargets(undefined)).toEqual([]);
  });

  const loopback: [string, boolean][] = [
    ['localhost', true],
    ['LOCALHOST', true],
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['[::1]', true],
    ['::1', true],
    ['128.0.0.1', false],
    ['localhost.example.com', false],
    ['0.0.0.0', false],
  ];
  it.each(loopback)('isLoopbackHost(%s) is %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it('rollout --notify is checked at option parsing, before any AWS call', () => {
    expect(parseRolloutOptions('nginx:2', { notify: [SECRET_URL, 'http://127.0.0.1:1/x'] }, {}).notify).toHaveLength(2);
    expect(() => parseRolloutOptions('nginx:2', { notify: ['http://example.com/x'] }, {})).toThrow(UsageError);
  });
});

describe('describeTarget', () => {
  const cases: [string, string][] = [
    [SECRET_URL, 'https://hooks.slack.com/[redacted]'],
    ['https://user:pw@example.com:8443/hook?key=1', 'https://example.com:8443/[redacted]'],
    ['http://127.0.0.1:9000/x', 'http://127.0.0.1:9000/[redacted]'],
    ['arn:aws:sns:us-east-1:123456789012:deploys', 'arn:aws:sns:us-east-1:123456789012:deploys'],
  ];
  it.each(cases)('shows %s as %s', (value, shown) => {
    expect(describeTarget(parseNotifyTarget(value))).toBe(shown);
  });
});

const rollout = (outcome: OutcomeNotice['outcome'], extra: Partial<OutcomeNotice> = {}): OutcomeNotice => ({
  operation: 'rollout',
  outcome,
  source: 'cli',
  image: 'acme/web:1.2',
  pushedAt: 1764500000,
  services: [{ cluster: 'prod', service: 'web' }],
  ...extra,
});

describe('buildNotification', () => {
  const texts: [string, OutcomeNotice, string][] = [
    ['started', rollout('started'), ':arrow_forward: ecs-roll: rolling out acme/web:1.2 on 1 service (prod/web)'],
    [
      'completed',
      rollout('completed', {
        services: [
          { cluster: 'prod', service: 'web' },
          { cluster: 'prod', service: 'api' },
        ],
      }),
      ':white_check_mark: ecs-roll: acme/web:1.2 is out on 2 services (prod/web, prod/api)',
    ],
    ['completed, nothing changed', rollout('completed', { services: [] }), ':white_check_mark: ecs-roll: acme/web:1.2: nothing to change'],
    [
      'failed, with the diagnosis summary',
      rollout('failed', {
        services: [
          {
            cluster: 'prod',
            service: 'web',
            outcome: 'rolled-back',
            reason: 'circuit breaker',
            cause: 'essential-container-exited',
            summary: 'The container web exited with code 1.',
          },
        ],
      }),
      ':x: ecs-roll: rollout of acme/web:1.2 failed: prod/web: The container web exited with code 1.',
    ],
    [
      'failed, reason only',
      rollout('failed', { services: [{ cluster: 'prod', service: 'web', reason: 'timed out' }] }),
      ':x: ecs-roll: rollout of acme/web:1.2 failed: prod/web: timed out',
    ],
    [
      'failed before any change',
      rollout('failed', { reason: 'the registry has no tag 1.2', services: [] }),
      ':x: ecs-roll: rollout of acme/web:1.2 failed: the registry has no tag 1.2',
    ],
    ['rolled back', rollout('rolled-back'), ':leftwards_arrow_with_hook: ecs-roll: rollout of acme/web:1.2 was rolled back on 1 service (prod/web)'],
    [
      'ignored by policy',
      rollout('ignored', { source: 'webhook', reason: 'tag 1.2-rc1 is not semver', services: [] }),
      ':information_source: ecs-roll: acme/web:1.2 ignored: tag 1.2-rc1 is not semver',
    ],
    [
      'scaled',
      {
        operation: 'scale',
        outcome: 'completed',
        source: 'alarm',
        alarm: 'cpu-high',
        services: [{ cluster: 'prod', service: 'web', desiredCount: { from: 2, to: 4 } }],
      },
      ':white_check_mark: ecs-roll: scaled prod/web from 2 to 4 tasks (alarm cpu-high)',
    ],
    [
      'scale ignored',
      {
        operation: 'scale',
        outcome: 'ignored',
        source: 'alarm',
        alarm: 'cpu-high',
        reason: 'in cooldown',
        services: [{ cluster: 'prod', service: 'web' }],
      },
      ':information_source: ecs-roll: scaling prod/web (alarm cpu-high) not done: in cooldown',
    ],
    [
      'scale failed',
      { operation: 'scale', outcome: 'failed', source: 'cli', reason: 'AccessDenied', services: [{ cluster: 'prod', service: 'web' }] },
      ':x: ecs-roll: scaling prod/web failed: AccessDenied',
    ],
    [
      'escapes Slack control characters',
      rollout('failed', { reason: '<!channel> & <http://x|y>', services: [] }),
      ':x: ecs-roll: rollout of acme/web:1.2 failed: &lt;!channel&gt; &amp; &lt;http://x|y&gt;',
    ],
  ];
  it.each(texts)('%s', (_name, notice, text) => {
    expect(buildNotification(notice, NOW).text).toBe(text);
  });

  it('has the versioned envelope and the notice fields', () => {
    expect(buildNotification(rollout('started'), NOW)).toEqual({
      kind: NOTIFICATION_KIND,
      version: NOTIFICATION_VERSION,
      operation: 'rollout',
      outcome: 'started',
      source: 'cli',
      time: '2026-11-30T12:00:00.000Z',
      image: 'acme/web:1.2',
      pushedAt: 1764500000,
      services: [{ cluster: 'prod', service: 'web' }],
      text: ':arrow_forward: ecs-roll: rolling out acme/web:1.2 on 1 service (prod/web)',
    });
    expect(NOTIFICATION_KIND).toBe('ecs-roll-notification');
    expect(NOTIFICATION_VERSION).toBe(1);
  });

  it('stays far below SNS’s 256 KB limit however many services and however long the reasons', () => {
    const huge = 'x'.repeat(100_000);
    const escaped = '\u0001€'.repeat(50_000);
    const services = Array.from({ length: 5000 }, (_, index) => ({
      cluster: huge,
      service: `svc-${index}${huge}`,
      outcome: huge,
      reason: huge,
      cause: huge,
      summary: huge,
    }));
    const document = buildNotification(rollout('failed', { reason: huge, image: huge, alarm: huge, services }), NOW);
    expect(document.services).toHaveLength(MAX_SERVICES);
    expect(document.servicesOmitted).toBe(5000 - MAX_SERVICES);
    expect(Buffer.byteLength(JSON.stringify(document))).toBeLessThan(MAX_DOCUMENT_BYTES / 2);
    expect(document.text.length).toBeLessThan(3000);
    const wide = buildNotification(
      rollout('failed', {
        reason: escaped,
        services: services.map(() => ({ cluster: escaped, service: escaped, reason: escaped, summary: escaped })),
      }),
      NOW,
    );
    expect(Buffer.byteLength(JSON.stringify(wide))).toBeLessThan(MAX_DOCUMENT_BYTES / 2);
    expect(wide.services.length).toBeGreaterThan(0);
    expect(wide.servicesOmitted).toBe(5000 - wide.services.length);
    const many = buildNotification(
      rollout('completed', { services: services.slice(0, 8).map((_, index) => ({ cluster: 'prod', service: `s${index}` })) }),
      NOW,
    );
    expect(many.text).toContain('on 8 services (prod/s0, prod/s1, prod/s2, prod/s3, prod/s4 and 3 more)');
  });

  it('escapeSlack leaves ordinary text alone', () => {
    expect(escapeSlack('web: exit 1')).toBe('web: exit 1');
  });
});

const plan = (actions: string[], registrations = 1): DeploymentPlan =>
  ({
    version: 1,
    kind: 'rollout',
    target: { image: 'acme/web:1.2', repository: 'docker.io/acme/web', tag: '1.2' },
    strategy: 'rolling',
    pushedAt: 1764500000,
    registrations: Array.from({ length: registrations }, () => ({})),
    services: actions.map((action, index) => ({ cluster: 'prod', service: `s${index}`, action })),
    unaffectedServices: 0,
  }) as unknown as DeploymentPlan;

const outcome = (service: string, kind: ServiceOutcome['outcome'], extra: Partial<ServiceOutcome> = {}): ServiceOutcome => ({
  cluster: 'prod',
  service,
  action: 'update',
  oldTaskDefinitionArn: 'arn:td/web:1',
  outcome: kind,
  ...extra,
});

const result = (ok: boolean, services: ServiceOutcome[], extra: Partial<RolloutResult> = {}): RolloutResult => ({
  version: 2,
  kind: 'rollout-result',
  target: { image: 'acme/web:1.2', repository: 'docker.io/acme/web' },
  ok,
  registrations: [],
  services,
  ...extra,
});

describe('rollout notices', () => {
  const context = { source: 'cli' as const, image: 'acme/web:1.2', pushedAt: 1764500000 };

  it('started names the services that move, and is not sent for a plan that changes nothing', () => {
    expect(startedNotice(plan(['update', 'none', 'redeploy', 'skip']), 'cli')?.services.map((service) => service.service)).toEqual(['s0', 's2']);
    expect(startedNotice(plan(['none', 'wait'], 0), 'cli')).toBeUndefined();
    expect(startedNotice(plan([], 1), 'cli')?.outcome).toBe('started');
  });

  const ends: [string, RolloutResult, [string, string[], string | undefined][]][] = [
    ['completed', result(true, [outcome('a', 'completed'), outcome('b', 'unchanged')]), [['completed', ['a'], undefined]]],
    [
      'failed then rolled back',
      result(false, [
        outcome('a', 'rolled-back', {
          reason: 'circuit breaker; rolled back to web:1',
          diagnosis: { cause: 'essential-container-exited', summary: 'web exited 1', hint: '', evidence: [] } as never,
        }),
        outcome('b', 'not-started'),
      ]),
      [
        ['failed', ['a'], undefined],
        ['rolled-back', ['a'], undefined],
      ],
    ],
    ['failed without rollback', result(false, [outcome('a', 'timed-out', { reason: 'did not finish' })]), [['failed', ['a'], undefined]]],
    [
      'a failed run-before task',
      result(false, [outcome('a', 'not-started')], {
        runsBefore: [{ step: 1, spec: '', cluster: 'prod', service: 'a', container: 'app', command: [], outcome: 'failed', reason: 'exit 3' }],
      }),
      [['failed', [], 'the run-before task in prod/a failed: exit 3']],
    ],
  ];
  it.each(ends)('%s', (_name, ended, expected) => {
    const notices = finishedNotices(ended, context);
    expect(notices.map((notice) => [notice.outcome, notice.services.map((service) => service.service), notice.reason])).toEqual(expected);
    for (const notice of notices) expect(notice).toMatchObject({ source: 'cli', image: 'acme/web:1.2', pushedAt: 1764500000 });
  });

  it('a failed service carries its reason and its diagnosis', () => {
    const [failed] = finishedNotices(
      result(false, [
        outcome('a', 'rolled-back', {
          reason: 'circuit breaker',
          diagnosis: { cause: 'image-pull-failed', summary: 'the image does not exist', hint: 'h', evidence: [] } as never,
        }),
      ]),
      context,
    );
    expect(failed?.services).toEqual([
      {
        cluster: 'prod',
        service: 'a',
        outcome: 'rolled-back',
        reason: 'circuit breaker',
        cause: 'image-pull-failed',
        summary: 'the image does not exist',
      },
    ]);
  });

  it('an error before any result is a failure with its message', () => {
    expect(errorNotice('no such tag', context)).toEqual({
      operation: 'rollout',
      outcome: 'failed',
      source: 'cli',
      image: 'acme/web:1.2',
      pushedAt: 1764500000,
      reason: 'no such tag',
      services: [],
    });
  });
});
