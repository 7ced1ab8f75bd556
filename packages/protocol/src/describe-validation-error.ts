import type { z } from 'zod';

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

/** `['content', 0, 'text']` -> `content[0].text`. */
export function formatPath(path: readonly PathKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text;
}

function valueAt(input: unknown, path: readonly PathKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

// A union reports one issue list per option; the option whose first issue lies deepest is
// the one the input was meant to be (an array given for `string | Block[]` fails inside the
// array, not at the top), so that is the one worth describing.
function pickUnionIssue(issue: Issue & { code: 'invalid_union' }): Issue | undefined {
  let best: Issue | undefined;
  for (const optionIssues of issue.errors) {
    const first = optionIssues[0];
    if (first && (!best || first.path.length > best.path.length)) best = first;
  }
  return best && { ...best, path: [...issue.path, ...best.path] };
}

function article(expected: string): string {
  if (expected === 'array' || expected === 'object' || expected === 'integer')
    return `an ${expected}`;
  return `a ${expected}`;
}

function quoteList(values: readonly unknown[]): string {
  return values.map((value) => JSON.stringify(value)).join(', ');
}

function describeIssue(issue: Issue, input: unknown): string {
  if (issue.code === 'invalid_union') {
    const discriminator = (issue as { discriminator?: string }).discriminator;
    const options = (issue as { options?: unknown[] }).options;
    if (issue.errors.length === 0 && options) {
      const field = formatPath(issue.path) || discriminator || 'type';
      return `field "${field}" must be one of ${quoteList(options)}`;
    }
    const firsts = issue.errors.map((optionIssues) => optionIssues[0]);
    if (
      firsts.length > 1 &&
      firsts.every((first) => first?.code === 'invalid_type' && first.path.length === 0)
    ) {
      const field = formatPath(issue.path);
      const subject = field ? `field "${field}"` : 'the value';
      if (valueAt(input, issue.path) === undefined) return `${subject} is required`;
      const expected = firsts.map((first) => article((first as { expected: string }).expected));
      return `${subject} must be ${expected.join(' or ')}`;
    }
    const picked = pickUnionIssue(issue);
    if (picked) return describeIssue(picked, input);
  }
  const path = formatPath(issue.path);
  const field = path ? `field "${path}"` : 'the value';
  switch (issue.code) {
    case 'invalid_type':
      if (valueAt(input, issue.path) === undefined) return `${field} is required`;
      return `${field} must be ${article(issue.expected)}`;
    case 'too_small': {
      const minimum = Number(issue.minimum);
      if (issue.origin === 'string') {
        return minimum <= 1
          ? `${field} must not be empty`
          : `${field} must have at least ${minimum} characters`;
      }
      if (issue.origin === 'array') {
        return minimum <= 1
          ? `${field} must not be empty`
          : `${field} must have at least ${minimum} items`;
      }
      return `${field} must be ${issue.inclusive === false ? 'more than' : 'at least'} ${minimum}`;
    }
    case 'too_big': {
      const maximum = Number(issue.maximum);
      if (issue.origin === 'string') return `${field} must have at most ${maximum} characters`;
      if (issue.origin === 'array') return `${field} must have at most ${maximum} items`;
      return `${field} must be ${issue.inclusive === false ? 'less than' : 'at most'} ${maximum}`;
    }
    case 'invalid_value':
      return issue.values.length === 1
        ? `${field} must be ${quoteList(issue.values)}`
        : `${field} must be one of ${quoteList(issue.values)}`;
    case 'unrecognized_keys':
      return `${field} has unknown ${issue.keys.length === 1 ? 'field' : 'fields'} ${quoteList(issue.keys)}`;
    case 'invalid_format':
      return issue.format === 'regex'
        ? `${field} ${issue.message}`
        : `${field} must be a valid ${issue.format}`;
    case 'custom':
      return `${field} ${issue.message}`;
    default:
      return `${field} is invalid`;
  }
}

/**
 * One human sentence for a failed zod parse, naming the first offending field, instead of a
 * zod issue dump. `input` is the value that was parsed (used to tell "missing" from "wrong").
 *
 * @example
 * ```ts
 * const result = postMessageBodySchema.safeParse(body);
 * if (!result.success) describeValidationError(result.error, body);
 * // -> 'Field "content[0].text" is required.'
 * ```
 */
export function describeValidationError(error: z.core.$ZodError, input: unknown): string {
  const issue = error.issues[0];
  if (!issue) return 'The value is invalid.';
  const sentence = describeIssue(issue, input);
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}
