import ora, { type Ora } from 'ora';
import type { CliIo } from './render.js';

/** The one spinner factory: a spinner on the command's stdout that leaves stdin alone (Ctrl-C stays a signal). */
export function spinnerFactory(io: Pick<CliIo, 'stdout'>): (text: string) => Ora {
  return (text) => ora({ text, stream: io.stdout as NodeJS.WritableStream, discardStdin: false });
}
