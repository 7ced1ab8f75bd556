import type { SessionRecord, Store } from '@agent-sessions/core';
import { AgentSessionsError, type PostMessageBody } from '@agent-sessions/protocol';
import type { Principal } from './auth.js';
import type { RateLimits } from './rate-limits.js';
import type { SessionServicePort } from './service-port.js';

/** Midnight UTC of the day containing `now`: daily budgets reset then. */
export function startOfUtcDay(now: number): number {
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

export interface SessionGateway {
  /** The session if it belongs to the caller's tenant; SESSION_NOT_FOUND otherwise (never 403). */
  ownedSession(principal: Principal, sessionId: string): Promise<SessionRecord>;
  /** Message rate limit and daily budget, then the engine: resolves once the message is durable. */
  sendMessage(
    principal: Principal,
    sessionId: string,
    body: PostMessageBody,
  ): Promise<{ messageId: string; seq: number; duplicate?: boolean }>;
}

/**
 * The checks every transport shares before a command reaches the engine: tenancy, per-key
 * message rate, per-tenant daily budget. HTTP and WebSocket both go through here so a rule
 * cannot hold on one and not the other.
 *
 * @example
 * ```ts
 * const session = await gateway.ownedSession(principal, id);
 * const { messageId, seq } = await gateway.sendMessage(principal, id, body);
 * ```
 */
export function createSessionGateway(options: {
  service: SessionServicePort;
  store: Store;
  rateLimits: RateLimits;
  dailyBudgetUsd: number;
  onBudgetRejection?: () => void;
}): SessionGateway {
  const { service, store } = options;
  const ownedSession = async (principal: Principal, sessionId: string) => {
    let record: SessionRecord | null = null;
    try {
      record = await service.getSession(sessionId);
    } catch (error) {
      if (!AgentSessionsError.is(error) || error.code !== 'SESSION_NOT_FOUND') throw error;
    }
    if (!record || record.tenantId !== principal.tenantId || record.status === 'closed') {
      throw new AgentSessionsError(
        'SESSION_NOT_FOUND',
        `No session ${JSON.stringify(sessionId.slice(0, 200))}.`,
      );
    }
    return record;
  };
  return {
    ownedSession,
    async sendMessage(principal, sessionId, body) {
      await ownedSession(principal, sessionId);
      await options.rateLimits.consumeMessage(principal.keyId);
      if (options.dailyBudgetUsd > 0) {
        const spent = await store.tenantCostSince(principal.tenantId, startOfUtcDay(Date.now()));
        if (spent >= options.dailyBudgetUsd) {
          options.onBudgetRejection?.();
          throw new AgentSessionsError(
            'BUDGET_EXCEEDED',
            `The daily budget of $${options.dailyBudgetUsd} is used up ($${spent.toFixed(4)} spent today, UTC).`,
          );
        }
      }
      return service.sendMessage(sessionId, {
        content: body.content,
        ...(body.policy ? { policy: body.policy } : {}),
        ...(body.clientMessageId ? { clientMessageId: body.clientMessageId } : {}),
      });
    },
  };
}
