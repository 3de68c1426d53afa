import { DEFAULT_FOLLOW_SECONDS } from '../core/follow.js';
import { UsageError } from '../core/errors.js';
import type { Strategy } from '../core/plan.js';
import { formatPolicy, parsePolicy, type UpdatePolicy } from '../core/update-policy.js';
import { ENV } from '../webhook/config.js';

/** The settings an install keeps in its functions' environment, and that a re-run keeps unless given again. */
export interface InstallSettings {
  readonly repositories: readonly string[];
  readonly clusters: readonly string[];
  readonly policy: UpdatePolicy;
  readonly strategy: Strategy;
  readonly timeoutSeconds: number;
}

/** `notify` is kept apart (its URLs live in an SSM parameter, see src/core/install-notify.ts) but reported alike. */
export type SettingName = keyof InstallSettings | 'notify';

export interface SettingChange {
  readonly setting: SettingName;
  /** As people write it (`semver`, `acme/web,acme/worker`); undefined when nothing was installed. */
  readonly from?: string;
  readonly to: string;
}

/** What a first install uses for what it is not given; `repositories` has no default. */
export const DEFAULT_INSTALL_SETTINGS: Omit<InstallSettings, 'repositories'> = {
  clusters: [],
  policy: { kind: 'any' },
  strategy: 'rolling',
  // How long the worker follows a push's deployments, across invocations: ALB health checks, deregistration
  // delay and deployment-alarm bakes make real deployments take many minutes.
  timeoutSeconds: DEFAULT_FOLLOW_SECONDS,
};

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

/**
 * The settings an existing install runs with, read back from its function's environment (what
 * webhookConfigToEnv wrote). A value that does not read back is left out, so the default applies.
 */
export function installedSettings(environment: Readonly<Record<string, string>> | undefined): Partial<InstallSettings> {
  if (environment === undefined) return {};
  const settings: { -readonly [K in keyof InstallSettings]?: InstallSettings[K] } = {};
  if (environment[ENV.repositories] !== undefined) settings.repositories = list(environment[ENV.repositories]);
  if (environment[ENV.clusters] !== undefined) settings.clusters = list(environment[ENV.clusters]);
  try {
    if (environment[ENV.policy] !== undefined) settings.policy = parsePolicy(environment[ENV.policy] ?? '');
  } catch {
    // Unreadable: the default stands, and the change shows.
  }
  const strategy = environment[ENV.strategy];
  if (strategy === 'rolling' || strategy === 'replace') settings.strategy = strategy;
  const timeout = Number(environment[ENV.timeoutSeconds]);
  if (environment[ENV.timeoutSeconds] !== undefined && Number.isFinite(timeout) && timeout > 0) settings.timeoutSeconds = timeout;
  return settings;
}

function show(setting: SettingName, settings: Partial<InstallSettings>): string | undefined {
  switch (setting) {
    case 'repositories':
      return settings.repositories?.join(',');
    case 'clusters':
      return settings.clusters === undefined ? undefined : settings.clusters.length === 0 ? '(all)' : settings.clusters.join(',');
    case 'policy':
      return settings.policy === undefined ? undefined : formatPolicy(settings.policy);
    case 'strategy':
      return settings.strategy;
    case 'timeoutSeconds':
      return settings.timeoutSeconds === undefined ? undefined : String(settings.timeoutSeconds);
    case 'notify':
      return undefined;
  }
}

const SETTINGS: readonly SettingName[] = ['repositories', 'clusters', 'policy', 'strategy', 'timeoutSeconds'];

/**
 * Given options win; what is not given keeps the installed value; a first install falls back to the
 * defaults. Every setting whose value changes is listed old → new, so a re-run never quietly resets one.
 */
export function mergeInstallSettings(
  given: Partial<InstallSettings>,
  installed: Partial<InstallSettings>,
): { settings: InstallSettings; changes: SettingChange[] } {
  const repositories = given.repositories ?? installed.repositories;
  if (repositories === undefined || repositories.length === 0) {
    throw new UsageError(
      '--repo must name at least one repository (namespace/name) whose pushes may roll out: there is no install to keep them from',
    );
  }
  const settings: InstallSettings = {
    repositories,
    clusters: given.clusters ?? installed.clusters ?? DEFAULT_INSTALL_SETTINGS.clusters,
    policy: given.policy ?? installed.policy ?? DEFAULT_INSTALL_SETTINGS.policy,
    strategy: given.strategy ?? installed.strategy ?? DEFAULT_INSTALL_SETTINGS.strategy,
    timeoutSeconds: given.timeoutSeconds ?? installed.timeoutSeconds ?? DEFAULT_INSTALL_SETTINGS.timeoutSeconds,
  };
  const changes: SettingChange[] = [];
  for (const setting of SETTINGS) {
    const from = show(setting, installed);
    const to = show(setting, settings) ?? '';
    if (from !== to) changes.push({ setting, ...(from === undefined ? {} : { from }), to });
  }
  return { settings, changes };
}
