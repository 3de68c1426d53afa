/** What `scale policy put`, `list` and `remove` share: reading their flags and writing their documents. */

import type { AwsConfig } from '../../aws/config.js';
import { type AlarmPolicy, policyServiceLabel } from '../../core/alarm.js';
import { UsageError } from '../../core/errors.js';
import { formatAdjustment } from '../../core/scale.js';
import { chooseReporter, envelope, writeDocument } from '../output.js';
import { awsConfigFrom, parseInstallName } from '../parsers.js';
import type { RawScalePolicyOptions } from '../raw-options.js';
import type { CliIo } from '../render.js';

const ALARM_NAME_MAX = 255;

export function awsOf(raw: RawScalePolicyOptions, io: CliIo): AwsConfig {
  return awsConfigFrom(raw, io.env);
}

export function alarmNameOf(raw: RawScalePolicyOptions): string {
  const name = raw.alarm ?? '';
  if (name.trim() === '' || name.length > ALARM_NAME_MAX) {
    throw new UsageError(`--alarm must be an alarm name of 1 to ${ALARM_NAME_MAX} characters, got ${JSON.stringify(name)}`);
  }
  return name;
}

export function installNameOf(raw: RawScalePolicyOptions): string {
  return parseInstallName(raw.name);
}

export function describePolicy(policy: AlarmPolicy): string {
  return `${policyServiceLabel(policy)} ${formatAdjustment(policy.adjustment)} within ${policy.min}..${policy.max}, cooldown ${policy.cooldownSeconds} s`;
}

export function policyJson(policy: AlarmPolicy) {
  return {
    service: policyServiceLabel(policy),
    adjust: formatAdjustment(policy.adjustment),
    min: policy.min,
    max: policy.max,
    cooldown: policy.cooldownSeconds,
  };
}

/** Version of the `scale-policy` and `scale-policies` documents. */
const DOCUMENT_VERSION = 1;

export function write(io: CliIo, json: boolean, document: { readonly kind: string } & Record<string, unknown>, lines: readonly string[]): void {
  chooseReporter(json, {
    json: () => () => writeDocument(io, envelope(document.kind, DOCUMENT_VERSION, document)),
    human: () => () => io.stdout.write(lines.map((line) => `${line}\n`).join('')),
  })();
}

/** "as well as its 2 other actions", "" for none: no "0 other action(s)". */
export function otherActions(count: number, lead: string): string {
  if (count === 0) return '';
  return ` ${lead} its ${count === 1 ? 'other action' : `${count} other actions`}`;
}

/** Columns padded to their widest cell, so a list of policies reads as a table. */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
