import { describe, expect, it } from 'vitest';
import { parseInstallOptions } from '../../src/cli/commands/install.js';
import { UsageError } from '../../src/core/errors.js';

// --timeout on install is the follow deadline of a push (default 60 minutes, up to 24 hours), not the
// Lambda function's Timeout, so it may exceed Lambda's 900 s.
describe('install --timeout', () => {
  const cases: { given: string; expected?: number; refused?: RegExp }[] = [
    { given: '3600', expected: 3600 },
    { given: '7200', expected: 7200 },
    { given: '86400', expected: 86400 },
    { given: '86401', refused: /at most 86400 s/ },
    { given: '0', refused: /--timeout/ },
    { given: 'soon', refused: /--timeout/ },
  ];
  for (const { given, expected, refused } of cases) {
    it(`--timeout ${given}`, () => {
      const parse = () => parseInstallOptions({ repo: ['acme/web'], timeout: given }, {});
      if (refused) {
        expect(parse).toThrow(UsageError);
        expect(parse).toThrow(refused);
      } else {
        expect(parse().timeoutSeconds).toBe(expected);
      }
    });
  }
  it('left out, the install keeps what it has (or a first install takes the default)', () => {
    expect(parseInstallOptions({ repo: ['acme/web'] }, {}).timeoutSeconds).toBeUndefined();
  });
});
