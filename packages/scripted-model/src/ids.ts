import { randomBytes } from 'node:crypto';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A random id in the style of the Anthropic API (`msg_...`, `toolu_...`, `req_...`).
 *
 * @example
 * ```ts
 * newId('toolu'); // 'toolu_01Ab...'
 * ```
 */
export function newId(prefix: string): string {
  let suffix = '';
  for (const byte of randomBytes(24)) suffix += alphabet[byte % alphabet.length];
  return `${prefix}_01${suffix}`;
}
