import type { Ora } from 'ora';
import { describe, expect, it } from 'vitest';
import type { RolloutResult } from '../../src/core/execute.js';
import { createRenderer, isSizedTerminal, type CliIo } from '../../src/cli/render.js';

function terminal(isTTY: boolean, columns: number | null = isTTY ? 80 : null) {
  const written: string[] = [];
  const io: CliIo = {
    stdout: { isTTY, ...(columns === null ? {} : { columns }), write: (text: string) => written.push(text) },
    stderr: { write: () => true },
    env: {},
  };
  return { io, written };
}

/** Stands in for ora (a unit test of the renderer): keeps its text and whether it spins. */
function fakeSpinner() {
  const spinner = {
    text: '',
    isSpinning: false,
    start() {
      spinner.isSpinning = true;
      return spinner;
    },
    stop() {
      spinner.isSpinning = false;
      return spinner;
    },
    clear() {
      return spinner;
    },
    render() {
      return spinner;
    },
  };
  return spinner;
}

const progress = (running: number) =>
  ({
    type: 'progress',
    cluster: 'prod',
    service: 'web',
    phase: 'rollout',
    progress: { running, pending: 0, desired: 3, failedTasks: 0, rolloutState: 'IN_PROGRESS' },
  }) as const;

const result: RolloutResult = {
  version: 2,
  kind: 'rollout-result',
  target: { image: 'acme/web:1.1', repository: 'docker.io/acme/web', tag: '1.1' },
  ok: true,
  registrations: [],
  services: [
    { cluster: 'prod', service: 'web', action: 'none', oldTaskDefinitionArn: 'arn:aws:ecs:us-east-1:1:task-definition/web:2', outcome: 'unchanged' },
  ],
};

describe('renderers', () => {
  it('off a terminal, prints one plain line per change of progress, without colour', () => {
    const { io, written } = terminal(false);
    const renderer = createRenderer(io, { json: false, color: undefined });
    renderer.event({ type: 'wait-started', services: 1, timeoutSeconds: 900, phase: 'rollout' });
    renderer.event(progress(1));
    renderer.event(progress(3));
    const text = written.join('');
    expect(text).toContain('prod/web: 1/3 running on the new revision (IN_PROGRESS)');
    expect(text).toContain('prod/web: 3/3 running on the new revision');
    expect(text).not.toMatch(/\u001b\[/);
  });

  it('on a terminal, shows running/desired per service in the spinner instead of lines', () => {
    const { io, written } = terminal(true);
    const spinner = fakeSpinner();
    const renderer = createRenderer(io, { json: false, color: false, spinner: () => spinner as unknown as Ora });
    renderer.event({ type: 'wait-started', services: 1, timeoutSeconds: 900, phase: 'rollout' });
    const before = written.length;
    renderer.event(progress(2));
    expect(spinner.isSpinning).toBe(true);
    expect(spinner.text).toContain('prod/web 2/3');
    expect(written.length).toBe(before);
    renderer.result(result);
    expect(spinner.isSpinning).toBe(false);
  });

  it.each([
    { columns: 0, why: 'a pseudo-terminal without a size' },
    { columns: null, why: 'a terminal that does not say its width' },
    { columns: Number.NaN, why: 'a width that is not a number' },
  ])('on $why (columns $columns), prints plain lines and never starts the spinner', ({ columns }) => {
    const { io, written } = terminal(true, columns);
    const spinner = fakeSpinner();
    const renderer = createRenderer(io, { json: false, color: false, spinner: () => spinner as unknown as Ora });
    renderer.event({ type: 'wait-started', services: 1, timeoutSeconds: 900, phase: 'rollout' });
    renderer.event(progress(2));
    expect(spinner.isSpinning).toBe(false);
    expect(written.join('')).toContain('prod/web: 2/3 running on the new revision');
    expect(isSizedTerminal(io.stdout)).toBe(false);
  });

  it('with --json, prints nothing but one document at the end, new ARNs null where there is none', () => {
    const { io, written } = terminal(true);
    const renderer = createRenderer(io, { json: true, color: undefined });
    renderer.event({ type: 'wait-started', services: 1, timeoutSeconds: 900, phase: 'rollout' });
    renderer.event(progress(2));
    expect(written).toEqual([]);
    renderer.result(result);
    expect(written).toHaveLength(1);
    const document = JSON.parse(written[0] ?? '') as { services: { newTaskDefinitionArn: unknown }[] };
    expect(document.services[0]?.newTaskDefinitionArn).toBeNull();
  });
});
