/**
 * Keeping the functions' environment small: Lambda allows 4 KB of variables in all, and a large allow-list
 * alone passes that. Past a budget well under the limit, the largest of the variables that may move go into
 * the settings file in the function's zip (src/webhook/settings-file.ts), largest first, until the rest fits.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
 */
import { environmentSize } from './install-limits.js';

/** Half of Lambda's 4 KB: room for the variables Lambda and later settings add. */
export const ENVIRONMENT_BUDGET_BYTES = 2048;

export interface SplitEnvironment {
  readonly environment: Readonly<Record<string, string>>;
  /** The variables for the settings file; empty when everything fits. */
  readonly overflow: Readonly<Record<string, string>>;
}

export function splitEnvironment(
  environment: Readonly<Record<string, string>>,
  movable: readonly string[],
  budget = ENVIRONMENT_BUDGET_BYTES,
): SplitEnvironment {
  const kept: Record<string, string> = { ...environment };
  const overflow: Record<string, string> = {};
  const candidates = movable.filter((key) => kept[key] !== undefined).sort((a, b) => (kept[b] ?? '').length - (kept[a] ?? '').length);
  for (const key of candidates) {
    if (environmentSize(kept) <= budget) break;
    overflow[key] = kept[key] ?? '';
    delete kept[key];
  }
  return { environment: kept, overflow };
}
