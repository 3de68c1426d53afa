/**
 * `scale policy list` at the terminal: the SDK wired into the command's ports (src/app/scale-policy-list.ts reads
 * and builds the rows), a table or the `scale-policies` JSON document out.
 */
import type { ScalePolicyRow } from '../../app/scale-policy-list.js';
import type { RawScalePolicyOptions } from '../raw-options.js';
import type { CliIo } from '../render.js';
import { alignColumns, awsOf, policyJson, write } from './scale-policy-io.js';
import { withPorts } from './scale-policy-ports.js';

/** A row as the JSON document writes it: the policy in its printed form, every field in place. */
function rowJson(row: ScalePolicyRow) {
  return { ...row, policy: row.policy === null ? null : policyJson(row.policy) };
}

function tableLines(rows: readonly ReturnType<typeof rowJson>[]): string[] {
  if (rows.length === 0) return ['No service carries an ecs-roll scaling policy.'];
  const where = (row: ReturnType<typeof rowJson>) => (row.location.kind === 'service-tags' ? `service tags` : 'alarm tags (old)');
  return alignColumns([
    ['ALARM', 'STATE', 'SERVICE', 'ADJUST', 'MIN..MAX', 'COOLDOWN', 'WHERE', ''],
    ...rows.map((row) => {
      const service = row.location.kind === 'service-tags' ? row.location.service : (row.policy?.service ?? '-');
      const notes = [
        row.invalid === null ? '' : `invalid policy: ${row.invalid}`,
        row.unreached ?? '',
        row.actionsEnabled ? '' : '(actions disabled)',
      ].filter((note) => note !== '');
      return row.policy === null
        ? [row.alarm, row.state ?? '?', service, '-', '-', '-', where(row), notes.join('; ')]
        : [
            row.alarm,
            row.state ?? '?',
            service,
            row.policy.adjust,
            `${row.policy.min}..${row.policy.max}`,
            `${row.policy.cooldown} s`,
            where(row),
            notes.join('; '),
          ];
    }),
  ]);
}

export async function runPolicyList(raw: RawScalePolicyOptions, io: CliIo): Promise<number> {
  const json = raw.json === true;
  const listed = await withPorts(
    awsOf(raw, io),
    () => import('../../app/scale-policy-list.js'),
    (app, ports) => app.listScalePolicies(ports),
  );
  const policies = listed.rows.map(rowJson);
  write(
    io,
    json,
    { kind: 'scale-policies', alarmsExamined: listed.alarmsExamined, servicesExamined: listed.servicesExamined, policies },
    tableLines(policies),
  );
  return 0;
}
