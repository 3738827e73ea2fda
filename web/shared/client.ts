// The GraphQL client both browser clients share: urql over fetch for queries and
// mutations (sent as persisted queries by hash), graphql-ws for subscriptions with
// graphql-sse as the fallback where WebSockets are blocked, and token refresh.
import { Client, fetchExchange, getOperationName, subscriptionExchange, type Exchange } from '@urql/core';
import { authExchange, type AuthUtilities } from '@urql/exchange-auth';
import { persistedExchange } from '@urql/exchange-persisted';
import { createClient as createWSClient } from 'graphql-ws';
import { createClient as createSSEClient } from 'graphql-sse';
import type { AuthResult, SessionStore } from './session';

declare const PERSISTED: boolean;

export interface ClientOptions {
  session: SessionStore;
  /** The operations' SHA-256 hashes by operation name, from the build's manifest. */
  hashes: Record<string, string>;
  /** Exchanges a refresh token for a new session, with the client's own document. */
  refresh: (utils: AuthUtilities, refreshToken: string) => Promise<AuthResult | null | undefined>;
}

/** The transport subscriptions currently use; the order page shows it. */
export type LiveTransport = 'websocket' | 'sse';

export interface ShopClient {
  client: Client;
  transport: () => LiveTransport;
}

const endpoint = '/graphql';

export function makeClient(o: ClientOptions): ShopClient {
  const bearer = (): Record<string, string> => {
    const s = o.session.get();
    return s ? { Authorization: `Bearer ${s.token}` } : {};
  };

  // WebSocket first. A WebSocket that never opens (blocked by a proxy or a firewall)
  // switches this page to Server-Sent Events for good. No automatic retries here: the
  // order page resubscribes itself with the last sequence it saw, so that a reconnect
  // never replays a step twice.
  let transport: LiveTransport = new URLSearchParams(location.search).get('transport') === 'sse' ? 'sse' : 'websocket';
  let wsOpened = false;
  let wsConnected = false;
  const waitingForWS = new Set<() => void>();
  const ws = createWSClient({
    url: () => `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${endpoint}`,
    connectionParams: () => bearer(),
    retryAttempts: 0,
    lazy: true,
    on: {
      connected: () => {
        wsOpened = wsConnected = true;
        waitingForWS.forEach((fn) => fn());
        waitingForWS.clear();
      },
      closed: () => {
        wsConnected = false;
        waitingForWS.clear();
        if (!wsOpened) transport = 'sse';
      },
    },
  });
  const sse = createSSEClient({ url: endpoint, headers: () => bearer(), retryAttempts: 0 });

  const exchanges: Exchange[] = [
    authExchange(async (utils) => ({
      addAuthToOperation: (op) => {
        const s = o.session.get();
        return s ? utils.appendHeaders(op, { Authorization: `Bearer ${s.token}` }) : op;
      },
      willAuthError: () => {
        const s = o.session.get();
        return !!s && s.expiresAt - Date.now() < 30_000;
      },
      didAuthError: (err) => err.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED'),
      refreshAuth: async () => {
        const s = o.session.get();
        if (!s) return;
        const next = await o.refresh(utils, s.refreshToken);
        if (!o.session.setFrom(next)) o.session.clear();
      },
    })),
  ];
  if (PERSISTED) {
    exchanges.push(
      persistedExchange({
        enableForMutation: true,
        preferGetForPersistedQueries: 'within-url-limit',
        generateHash: async (_query, doc) => o.hashes[getOperationName(doc) ?? ''] ?? '',
      }),
    );
  }
  exchanges.push(
    fetchExchange,
    subscriptionExchange({
      // context.onOpen, when an operation carries it, is called once the subscription's
      // link is up: the WebSocket acknowledged, or the event stream open.
      forwardSubscription: (request, operation) => ({
        subscribe: (sink) => {
          const payload = { ...request, query: request.query ?? '' };
          const onOpen = (operation.context.onOpen as (() => void) | undefined) ?? (() => {});
          if (transport === 'sse') return { unsubscribe: sse.subscribe(payload, sink, { connected: onOpen }) };
          const stop = ws.subscribe(payload, sink);
          if (wsConnected) queueMicrotask(onOpen);
          else waitingForWS.add(onOpen);
          return {
            unsubscribe: () => {
              waitingForWS.delete(onOpen);
              stop();
            },
          };
        },
      }),
    }),
  );

  const client = new Client({
    url: endpoint,
    exchanges,
    requestPolicy: 'network-only',
    preferGetMethod: false,
    // Queries and mutations want one JSON answer: without this, urql's default Accept
    // (which lists text/event-stream too) would have them answered as event streams.
    fetchOptions: { headers: { accept: 'application/graphql-response+json, application/json' } },
  });
  return { client, transport: () => transport };
}
