/** The body of an Anthropic API error response. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

const errorTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/**
 * The Anthropic error type for an HTTP status; unlisted 4xx are `invalid_request_error`,
 * unlisted 5xx `api_error`.
 *
 * @example
 * ```ts
 * errorTypeForStatus(529); // 'overloaded_error'
 * ```
 */
export function errorTypeForStatus(status: number): string {
  return errorTypes[status] ?? (status < 500 ? 'invalid_request_error' : 'api_error');
}

/**
 * An Anthropic-style error body for `status`.
 *
 * @example
 * ```ts
 * anthropicError(400, 'messages: field required');
 * // { type: 'error', error: { type: 'invalid_request_error', message: 'messages: field required' } }
 * ```
 */
export function anthropicError(status: number, message: string): AnthropicErrorBody {
  return { type: 'error', error: { type: errorTypeForStatus(status), message } };
}
