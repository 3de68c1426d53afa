import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { INSTALL_COMMAND_ACTIONS, installCallerPolicy } from '../../src/aws/caller-permissions.js';

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The SDK commands a source file imports (`FooCommand`, also when renamed with `as`). */
function commandsImportedBy(source: string): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(/\b([A-Z][A-Za-z]+)Command\b(?:\s+as\s+\w+)?\s*,/g)) names.add(match[1] ?? '');
  return [...names].filter((name) => name !== '').sort();
}

/** Where install's and uninstall's SDK calls live: readers, appliers and the uninstaller. */
const INSTALL_SOURCES = [
  'src/app/install.ts',
  'src/aws/install-read.ts',
  'src/aws/install-apply/iam.ts',
  'src/aws/install-apply/lambda.ts',
  'src/aws/install-apply/apigateway.ts',
  'src/aws/install-apply/logs.ts',
  'src/aws/install-apply/sns.ts',
  'src/app/uninstall.ts',
  'src/aws/install-notify.ts',
  'src/aws/uninstall-read.ts',
];

describe('the IAM policy for running install', () => {
  it('covers every AWS command install and uninstall send (src/aws/install*.ts, install-apply/, uninstall.ts)', async () => {
    const sources = await Promise.all(INSTALL_SOURCES.map(read));
    const commands = [...new Set(sources.flatMap(commandsImportedBy))].sort();
    expect(commands.length).toBeGreaterThan(30);
    expect(commands.filter((command) => INSTALL_COMMAND_ACTIONS[command] === undefined)).toEqual([]);
    const granted = new Set(installCallerPolicy().Statement.flatMap((statement) => statement.Action));
    const needed = commands.flatMap((command) => INSTALL_COMMAND_ACTIONS[command] ?? []);
    expect(needed.filter((action) => !granted.has(action))).toEqual([]);
  });

  it('covers every AWS command src/aws/install-ecr-trigger.ts sends', async () => {
    const commands = commandsImportedBy(await read('src/aws/install-ecr-trigger.ts'));
    expect(commands).toContain('PutRule');
    expect(commands.filter((command) => INSTALL_COMMAND_ACTIONS[command] === undefined)).toEqual([]);
    const granted = new Set(installCallerPolicy().Statement.flatMap((statement) => statement.Action));
    expect(commands.flatMap((command) => INSTALL_COMMAND_ACTIONS[command] ?? []).filter((action) => !granted.has(action))).toEqual([]);
  });

  it('covers what src/aws/install-scale-policies.ts calls to move scaling policies to their services', async () => {
    const source = await read('src/aws/install-scale-policies.ts');
    // It calls through these helpers; each maps to one action.
    const calls: Record<string, string> = {
      'alarms.listAlarms(': 'cloudwatch:DescribeAlarms',
      'alarms.alarmTagsIfAny(': 'cloudwatch:ListTagsForResource',
      'alarms.untagAlarm(': 'cloudwatch:UntagResource',
      'describeServiceIfAny(': 'ecs:DescribeServices',
      'serviceTags(': 'ecs:ListTagsForResource',
      'tagService(': 'ecs:TagResource',
    };
    const granted = new Set(installCallerPolicy().Statement.flatMap((statement) => statement.Action));
    for (const [call, action] of Object.entries(calls)) {
      expect(source, call).toContain(call);
      expect(granted.has(action), action).toBe(true);
    }
    expect(
      source.match(/\b(?:alarms|ecs)\.[a-z]\w*\(/g)?.filter((call) => !(call in calls) && !['ecs.client(', 'alarms.destroy('].includes(call)) ?? [],
    ).toEqual([]);
  });

  it('is the one the README prints', async () => {
    const readme = await read('README.md');
    const block = /<!-- install-caller-policy -->\s*```json\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    expect(JSON.parse(block ?? '')).toEqual(installCallerPolicy());
  });
});
