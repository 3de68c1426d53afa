import { describe, expect, it } from 'vitest';
import { READ_ONLY_TASK_DEFINITION_FIELDS, registrationInput } from '../../src/core/task-definition.js';
import { aContainer, aTaskDefinition } from './builders.js';

const READ_ONLY = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
] as const;

/** Every field RegisterTaskDefinition accepts today, plus one AWS might add tomorrow. */
const WRITABLE_FIELDS: Record<string, unknown> = {
  taskRoleArn: 'arn:aws:iam::123456789012:role/web-task',
  executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
  networkMode: 'awsvpc',
  cpu: '1024',
  memory: '2048',
  requiresCompatibilities: ['FARGATE'],
  ephemeralStorage: { sizeInGiB: 50 },
  pidMode: 'task',
  ipcMode: 'none',
  runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
  proxyConfiguration: {
    type: 'APPMESH',
    containerName: 'envoy',
    properties: [{ name: 'ProxyIngressPort', value: '15000' }],
  },
  volumes: [{ name: 'data', efsVolumeConfiguration: { fileSystemId: 'fs-1', rootDirectory: '/' } }],
  placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.availability-zone in [us-east-1a]' }],
  inferenceAccelerators: [{ deviceName: 'd1', deviceType: 'eia2.medium' }],
  enableFaultInjection: true,
  futureField: { nested: ['kept', 1, null] },
};

function definitionWithEverything() {
  return aTaskDefinition({
    family: 'web',
    revision: 7,
    containers: [
      aContainer({ name: 'app', image: 'nginx:1' }),
      aContainer({ name: 'envoy', image: 'public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29' }),
      aContainer({ name: 'log', image: 'fluent/fluent-bit:3' }),
    ],
    fields: { ...WRITABLE_FIELDS, deregisteredAt: '2026-02-01T00:00:00.000Z' },
  });
}

describe('registrationInput', () => {
  it('knows exactly the read-only fields DescribeTaskDefinition adds', () => {
    expect([...READ_ONLY_TASK_DEFINITION_FIELDS].sort()).toEqual([...READ_ONLY].sort());
  });

  it.each(READ_ONLY)('removes the read-only field %s', (field) => {
    const { definition } = definitionWithEverything();
    expect(definition).toHaveProperty(field);
    expect(registrationInput(definition, [], new Map())).not.toHaveProperty(field);
  });

  it.each(Object.keys(WRITABLE_FIELDS))('keeps %s unchanged', (field) => {
    const { definition } = definitionWithEverything();
    expect(registrationInput(definition, [], new Map())[field]).toEqual(WRITABLE_FIELDS[field]);
  });

  it('keeps every other field and drops nothing else', () => {
    const { definition } = definitionWithEverything();
    const input = registrationInput(definition, [], new Map());
    const expectedKeys = Object.keys(definition).filter((key) => !(READ_ONLY as readonly string[]).includes(key));
    expect(Object.keys(input).sort()).toEqual(expectedKeys.sort());
    expect(input.family).toBe('web');
  });

  it('rewrites only the named containers’ images and leaves every other container field alone', () => {
    const { definition } = definitionWithEverything();
    const input = registrationInput(definition, [], new Map([['app', 'nginx:2']]));
    const original = definition.containerDefinitions as Record<string, unknown>[];
    expect(input.containerDefinitions).toEqual([{ ...original[0], image: 'nginx:2' }, original[1], original[2]]);
  });

  it('rewrites several containers at once', () => {
    const { definition } = definitionWithEverything();
    const input = registrationInput(
      definition,
      [],
      new Map([
        ['app', 'nginx:2'],
        ['log', 'fluent/fluent-bit:4'],
      ]),
    );
    expect(input.containerDefinitions.map((container) => container.image)).toEqual([
      'nginx:2',
      'public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29',
      'fluent/fluent-bit:4',
    ]);
  });

  it('ignores a map entry for a container the definition does not have', () => {
    const { definition } = definitionWithEverything();
    const input = registrationInput(definition, [], new Map([['missing', 'nginx:2']]));
    expect(input.containerDefinitions).toEqual(definition.containerDefinitions);
  });

  it('does not mutate its input', () => {
    const { definition } = definitionWithEverything();
    const before = structuredClone(definition);
    const tags = [{ key: 'team', value: 'web' }];
    const input = registrationInput(definition, tags, new Map([['app', 'nginx:2']]));
    expect(definition).toEqual(before);
    expect(tags).toEqual([{ key: 'team', value: 'web' }]);
    // Nor share structure that a later edit of the input would leak back through.
    (input.containerDefinitions[0] as Record<string, unknown>).image = 'changed';
    (input.volumes as Record<string, unknown>[]).push({ name: 'more' });
    expect(definition).toEqual(before);
  });

  it('works on a frozen definition', () => {
    const { definition } = definitionWithEverything();
    const frozen = Object.freeze(structuredClone(definition));
    expect(registrationInput(frozen, [], new Map([['app', 'nginx:2']])).containerDefinitions[0]?.image).toBe('nginx:2');
  });

  it('passes tags when there are some, as fresh key/value objects', () => {
    const { definition } = definitionWithEverything();
    const tags = [
      { key: 'team', value: 'web' },
      { key: 'cost-centre', value: '' },
    ];
    const input = registrationInput(definition, tags, new Map());
    expect(input.tags).toEqual(tags);
    expect(input.tags).not.toBe(tags);
  });

  it('has no tags key at all when there are no tags', () => {
    const { definition } = definitionWithEverything();
    expect(Object.keys(registrationInput(definition, [], new Map()))).not.toContain('tags');
    expect(Object.keys(registrationInput({ ...definition, tags: [] }, [], new Map()))).not.toContain('tags');
  });

  it('refuses a definition without a family', () => {
    const { family: _family, ...definition } = definitionWithEverything().definition;
    expect(() => registrationInput(definition, [], new Map())).toThrow(TypeError);
  });
});
