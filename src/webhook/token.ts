/**
 * What makes a URL token acceptable. It travels as one path segment, so only the URL-safe alphabet
 * (RFC 4648 base64url: A–Z a–z 0–9 - _) can ever match a request path: a `/`, `+`, `=` or a trailing
 * newline from a file would give a token no request can present. Length and variety are checked so a
 * placeholder (`aaaa…`, `changeme…`) is refused: a random token of this length has 20-odd different
 * characters, a hex one 16, and none has fewer than MIN_DISTINCT_CHARACTERS but by a vanishing chance.
 */
export const TOKEN_ALPHABET = /^[A-Za-z0-9_-]+$/;
export const MIN_TOKEN_CHARACTERS = 32;
export const MIN_DISTINCT_CHARACTERS = 10;
/** Prints 43 URL-safe characters (32 random bytes); `openssl rand -hex 32` works as well. */
export const TOKEN_COMMAND = `node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`;

/** Why the token is refused, or undefined when it is acceptable. Never repeats the token. */
export function tokenProblem(token: string): string | undefined {
  if (!TOKEN_ALPHABET.test(token)) {
    return `the token may hold only the URL-safe characters A-Z a-z 0-9 - _ (no /, +, = or newline), which a URL path can carry; generate one with: ${TOKEN_COMMAND}`;
  }
  if (token.length < MIN_TOKEN_CHARACTERS) {
    return `the token must be at least ${MIN_TOKEN_CHARACTERS} characters; generate one with: ${TOKEN_COMMAND}`;
  }
  if (new Set(token).size < MIN_DISTINCT_CHARACTERS) {
    return `the token has fewer than ${MIN_DISTINCT_CHARACTERS} different characters, so it is not random; generate one with: ${TOKEN_COMMAND}`;
  }
  return undefined;
}
