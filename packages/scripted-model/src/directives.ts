/** A tool call requested with `[[tool:NAME:JSON]]`. */
export interface ToolDirective {
  name: string;
  input: Record<string, unknown>;
}

/** An HTTP failure requested with `[[error:STATUS]]` or `[[error:STATUS:N]]`. */
export interface ErrorDirective {
  status: number;
  /** Fail only the first `times` requests of the turn; undefined fails every request. */
  times: number | undefined;
}

/** Everything the directives of one user text ask for. */
export interface Directives {
  /** `[[reply:TEXT]]`: the first one wins. */
  reply: string | undefined;
  /** `[[recall]]` */
  recall: boolean;
  /** `[[tool:NAME:JSON]]`, in order: the turn calls them one after the other. */
  tools: ToolDirective[];
  /** `[[slow:MS]]` */
  slowMs: number | undefined;
  /** `[[stall:MS]]` */
  stallMs: number | undefined;
  error: ErrorDirective | undefined;
  /** `[[broken]]` */
  broken: boolean;
  /** `[[tokens:IN:OUT]]` */
  tokens: { input: number; output: number } | undefined;
  /** The text with every recognised directive removed and whitespace trimmed. */
  remainingText: string;
}

const directiveStart = /\[\[([a-z]+)(?=[:\]])/g;

/**
 * Reads the directives out of a user text. Anything that looks like a directive but does not
 * parse (unknown name, bad number, invalid JSON) is left in the text and ignored, so a user
 * text can never make the scripted model fail.
 *
 * @example
 * ```ts
 * const directives = parseDirectives('[[slow:2000]] [[reply:hi]]');
 * // directives.slowMs === 2000, directives.reply === 'hi'
 * ```
 */
export function parseDirectives(text: string): Directives {
  const directives: Directives = {
    reply: undefined,
    recall: false,
    tools: [],
    slowMs: undefined,
    stallMs: undefined,
    error: undefined,
    broken: false,
    tokens: undefined,
    remainingText: '',
  };
  const kept: string[] = [];
  let cursor = 0;
  directiveStart.lastIndex = 0;
  for (;;) {
    const match = directiveStart.exec(text);
    if (!match) break;
    const name = match[1]!;
    const argumentStart = match.index + match[0].length;
    const end = applyDirective(directives, name, text, argumentStart);
    if (end === undefined) continue;
    kept.push(text.slice(cursor, match.index));
    cursor = end;
    directiveStart.lastIndex = end;
  }
  kept.push(text.slice(cursor));
  directives.remainingText = kept
    .map((piece) => piece.trim())
    .filter((piece) => piece !== '')
    .join(' ');
  return directives;
}

/** Applies the directive `name` whose text continues at `from`; returns where it ends. */
function applyDirective(
  directives: Directives,
  name: string,
  text: string,
  from: number,
): number | undefined {
  if (name === 'recall' || name === 'broken') {
    if (!text.startsWith(']]', from)) return undefined;
    if (name === 'recall') directives.recall = true;
    else directives.broken = true;
    return from + 2;
  }
  if (text[from] !== ':') return undefined;
  const argumentStart = from + 1;
  if (name === 'tool') return applyTool(directives, text, argumentStart);
  const close = text.indexOf(']]', argumentStart);
  if (close === -1) return undefined;
  const argument = text.slice(argumentStart, close);
  const end = close + 2;
  switch (name) {
    case 'reply':
      directives.reply ??= argument;
      return end;
    case 'slow':
    case 'stall': {
      const milliseconds = parseNumbers(argument, 1)?.[0];
      if (milliseconds === undefined) return undefined;
      if (name === 'slow') directives.slowMs = milliseconds;
      else directives.stallMs = milliseconds;
      return end;
    }
    case 'error': {
      const numbers = parseNumbers(argument, 1) ?? parseNumbers(argument, 2);
      const status = numbers?.[0];
      if (status === undefined || status < 400 || status > 599) return undefined;
      directives.error = { status, times: numbers?.[1] };
      return end;
    }
    case 'tokens': {
      const numbers = parseNumbers(argument, 2);
      if (!numbers) return undefined;
      directives.tokens = { input: numbers[0]!, output: numbers[1]! };
      return end;
    }
    default:
      return undefined;
  }
}

/** `NAME:JSON]]` where JSON may itself contain `]]`: the shortest slice that parses wins. */
function applyTool(directives: Directives, text: string, from: number): number | undefined {
  const nameMatch = /^([A-Za-z0-9_.-]+)(:|\]\])/.exec(text.slice(from));
  if (!nameMatch) return undefined;
  const name = nameMatch[1]!;
  if (nameMatch[2] === ']]') {
    directives.tools.push({ name, input: {} });
    return from + nameMatch[0].length;
  }
  const jsonStart = from + nameMatch[0].length;
  for (let close = text.indexOf(']]', jsonStart); close !== -1; ) {
    const input = parseObject(text.slice(jsonStart, close));
    if (input) {
      directives.tools.push({ name, input });
      return close + 2;
    }
    close = text.indexOf(']]', close + 1);
  }
  return undefined;
}

function parseObject(candidate: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(candidate);
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // not (yet) the end of the JSON: the caller tries a longer slice
  }
  return undefined;
}

function parseNumbers(argument: string, count: number): number[] | undefined {
  const parts = argument.split(':');
  if (parts.length !== count || !parts.every((part) => /^\d{1,9}$/.test(part))) return undefined;
  return parts.map(Number);
}
