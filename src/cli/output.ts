import type { CliIo } from './render.js';

/**
 * The one output model of the CLI: each command has a reporter with a human and a JSON form, chosen by one
 * switch (`--json`); every JSON document is one envelope, `kind` and `version` first (the README lists them);
 * and one spinner factory for the commands that wait (spinner.ts, apart so that
 * commands without a spinner do not load ora).
 */

/** What every JSON document starts with: what it is, and the version of its shape. */
export interface Envelope {
  readonly kind: string;
  readonly version: number;
}

/** `{kind, version, …body}`: the envelope's fields first, whatever order the body had them in. */
export function envelope<B extends object>(kind: string, version: number, body: B): Envelope & Omit<B, 'kind' | 'version'> {
  const { kind: _kind, version: _version, ...rest } = body as B & Partial<Envelope>;
  return { kind, version, ...(rest as Omit<B, 'kind' | 'version'>) };
}

/** One document on stdout: indented, or on one line when documents follow one another (`status --watch`). */
export function writeDocument(io: Pick<CliIo, 'stdout'>, document: Envelope, options: { oneLine?: boolean } = {}): void {
  const ordered = envelope(document.kind, document.version, document);
  io.stdout.write(`${options.oneLine === true ? JSON.stringify(ordered) : JSON.stringify(ordered, null, 2)}\n`);
}

/** The one human/JSON switch: the command's reporter in the form `--json` asks for. */
export function chooseReporter<R>(json: boolean, forms: { readonly human: () => R; readonly json: () => R }): R {
  return json ? forms.json() : forms.human();
}
