/**
 * Where an installed webhook's settings live. Small settings are the functions' environment variables
 * (src/webhook/config.ts: ENV); those that would make the environment large (the repository allow-list: 1,000
 * repositories are about 30 KB, Lambda allows 4 KB of variables in all) are written by install into a file in
 * the function's zip, SETTINGS_FILE, and the environment names it (SETTINGS_FILE_ENV). A function reads the
 * file once per container and sees one set of variables, as if the file's were in its environment.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
 *
 * Secrets (a notification URL) belong in neither: the zip can be downloaded by whoever may GetFunction.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const SETTINGS_FILE = 'ecs-roll-settings.json';
export const SETTINGS_FILE_ENV = 'ECS_ROLL_SETTINGS_FILE';
/** Set with the file: the allow-list's size and digest, so a re-install can tell whether it changed. */
export const REPOSITORIES_DIGEST_ENV = 'ECS_ROLL_REPOS_DIGEST';
export const SETTINGS_FILE_VERSION = 1;

export interface SettingsFile {
  readonly version: number;
  /** Variables as they would be in the environment. */
  readonly environment: Readonly<Record<string, string>>;
}

/** `<count>:<first 16 hex of the SHA-256 of the comma-joined list>`. */
export function repositoriesDigest(repositories: readonly string[]): string {
  return `${repositories.length}:${createHash('sha256').update(repositories.join(',')).digest('hex').slice(0, 16)}`;
}

export function settingsFileText(environment: Readonly<Record<string, string>>): string {
  const file: SettingsFile = { version: SETTINGS_FILE_VERSION, environment };
  return `${JSON.stringify(file)}\n`;
}

let cached: { readonly name: string; readonly environment: Readonly<Record<string, string>> } | undefined;

/**
 * The environment with the settings file's variables added (read once per container); the environment as it
 * is when it names no file. A file that cannot be read is an error: running without the allow-list would be wrong.
 */
export function settingsEnvironment(
  env: NodeJS.ProcessEnv,
  read: (name: string) => string = (name) => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8'),
): NodeJS.ProcessEnv {
  const name = env[SETTINGS_FILE_ENV];
  if (name === undefined || name === '') return env;
  if (cached?.name !== name) {
    const parsed = JSON.parse(read(name)) as Partial<SettingsFile>;
    if (parsed.version !== SETTINGS_FILE_VERSION || typeof parsed.environment !== 'object' || parsed.environment === null) {
      throw new Error(`${name} is not an ecs-roll settings file of version ${SETTINGS_FILE_VERSION}`);
    }
    cached = { name, environment: parsed.environment };
  }
  return { ...cached.environment, ...env };
}
