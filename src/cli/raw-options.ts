/**
 * What commander hands each command's action: strings, lists of strings and booleans, unchecked.
 * One type per command, each checked by its parser before any AWS call.
 */

/** The options every AWS command takes (addAwsOptions in program.ts). */
export interface RawAwsOptions {
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

/** The program's own options, which every action sees through optsWithGlobals(). */
export interface RawGlobalOptions {
  color?: boolean;
}

export interface RawRolloutOptions extends RawAwsOptions, RawGlobalOptions {
  cluster?: string[];
  service?: string[];
  allFamilies?: boolean;
  strategy?: string;
  dryRun?: boolean;
  wait?: boolean;
  timeout?: string;
  pollInterval?: string;
  rollback?: boolean;
  force?: boolean;
  verify?: boolean;
  registryAuth?: string;
  pinDigest?: boolean;
  runBefore?: string[];
  runTimeout?: string;
  expectServices?: string;
  requireMatch?: boolean;
  notify?: string[];
  json?: boolean;
}

export interface RawStatusOptions extends RawAwsOptions, RawGlobalOptions {
  cluster?: string[];
  json?: boolean;
  watch?: boolean;
  pollInterval?: string;
}

export interface RawScaleOptions extends RawAwsOptions, RawGlobalOptions {
  cluster?: string;
  count?: string;
  by?: string;
  min?: string;
  max?: string;
  wait?: boolean;
  timeout?: string;
  pollInterval?: string;
  dryRun?: boolean;
  json?: boolean;
  updateAutoscaling?: boolean;
  notify?: string[];
}

export interface RawServeOptions extends RawAwsOptions, RawGlobalOptions {
  port?: string;
  host?: string;
  token?: string;
  tokenFile?: string;
  stateDir?: string;
  repo?: string[];
  cluster?: string[];
  policy?: string;
  strategy?: string;
  timeout?: string;
  pollInterval?: string;
  notify?: string[];
}

export interface RawWebhookStatusOptions extends RawAwsOptions, RawGlobalOptions {
  name?: string;
  json?: boolean;
}

export interface RawPackageOptions extends RawGlobalOptions {
  out: string;
}

/** `scale policy put`, `list` and `remove`: their own options with `scale`'s (--min, --max, --json share its names). */
export interface RawScalePolicyOptions extends RawAwsOptions, RawGlobalOptions {
  alarm?: string;
  adjust?: string;
  min?: string;
  max?: string;
  cooldown?: string;
  name?: string;
  json?: boolean;
}

/**
 * `install`. No defaults besides --name and --stage: a setting left out keeps what the install has. The paired
 * flags (--verify/--no-verify, --pin-digest/--no-pin-digest) are undefined when neither is given, and
 * `--no-notify` makes notify `false`.
 */
export interface RawInstallOptions extends RawAwsOptions, RawGlobalOptions {
  repo?: string[];
  name?: string;
  stage?: string;
  source?: string[];
  cluster?: string[];
  policy?: string;
  strategy?: string;
  timeout?: string;
  pinDigest?: boolean;
  verify?: boolean;
  runBefore?: string[];
  notify?: string[] | false;
  rotateToken?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export interface RawUninstallOptions extends RawAwsOptions, RawGlobalOptions {
  name?: string;
  dryRun?: boolean;
  json?: boolean;
}
