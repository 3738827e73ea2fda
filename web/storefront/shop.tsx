// The storefront's shared state: the GraphQL client, the signed-in session, the cart and
// the clickstream tracker, handed to every screen through a context.
import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useMemo, useState } from 'preact/hooks';
import type { Client } from '@urql/core';
import { makeClient, type LiveTransport } from '../shared/client';
import { SessionStore, type Session } from '../shared/session';
import { randomId } from '../shared/format';
import { graphql } from './gql';
import type { TrackEventType } from './gql/graphql';
import hashes from './gql/hashes.json';

const RefreshDoc = graphql(`
  mutation StorefrontRefresh($token: String!) {
    refreshToken(token: $token) {
      token
      refreshToken
      expiresAt
      user { id email name role }
      userErrors { code message }
    }
  }
`);

const CartCountDoc = graphql(`
  query CartCount($id: ID!) {
    cart(id: $id) { id totalQuantity }
  }
`);

const TrackDoc = graphql(`
  mutation TrackEvents($events: [TrackEventInput!]!) {
    trackEvents(events: $events) { accepted userErrors { code message } }
  }
`);

const CART_KEY = 'sg.cart';
const SESSION_ID_KEY = 'sg.sid';

export interface Shop {
  client: Client;
  session: SessionStore;
  user: Session['user'] | null;
  transport: () => LiveTransport;
  cartId: string | null;
  cartCount: number;
  /** setCart records the cart a mutation answered (null forgets it). */
  setCart: (cart: { id: string; totalQuantity: number } | null) => void;
  /** sessionId is this browser's storefront session, for the clickstream and checkout. */
  sessionId: string;
  track: (type: TrackEventType, extra?: { productId?: string; query?: string }) => void;
}

const ShopContext = createContext<Shop | null>(null);

export function useShop(): Shop {
  const s = useContext(ShopContext);
  if (!s) throw new Error('useShop outside ShopProvider');
  return s;
}

function storefrontSessionId(): string {
  let id = sessionStorage.getItem(SESSION_ID_KEY);
  if (!id) {
    id = randomId();
    sessionStorage.setItem(SESSION_ID_KEY, id);
  }
  return id;
}

export function ShopProvider({ children }: { children: ComponentChildren }) {
  const base = useMemo(() => {
    const session = new SessionStore('sg.session');
    const { client, transport } = makeClient({
      session,
      hashes,
      refresh: async (utils, token) => (await utils.mutate(RefreshDoc, { token })).data?.refreshToken,
    });
    return { session, client, transport, sessionId: storefrontSessionId(), tracker: new Tracker(client) };
  }, []);
  const [user, setUser] = useState(base.session.get()?.user ?? null);
  const [cartId, setCartId] = useState<string | null>(localStorage.getItem(CART_KEY));
  const [cartCount, setCartCount] = useState(0);

  useEffect(() => base.session.subscribe(() => setUser(base.session.get()?.user ?? null)), []);
  useEffect(() => {
    if (!cartId) return;
    base.client.query(CartCountDoc, { id: cartId }).toPromise().then((r) => {
      if (localStorage.getItem(CART_KEY) !== cartId) return; // another cart since
      if (r.data && !r.data.cart) {
        localStorage.removeItem(CART_KEY);
        setCartId(null);
        setCartCount(0);
      } else if (r.data?.cart) setCartCount(r.data.cart.totalQuantity);
    });
  }, [cartId, user?.id]);

  const shop: Shop = {
    client: base.client,
    session: base.session,
    transport: base.transport,
    user,
    cartId,
    cartCount,
    sessionId: base.sessionId,
    setCart: (cart) => {
      if (cart) {
        localStorage.setItem(CART_KEY, cart.id);
        setCartId(cart.id);
        setCartCount(cart.totalQuantity);
      } else {
        localStorage.removeItem(CART_KEY);
        setCartId(null);
        setCartCount(0);
      }
    },
    track: (type, extra) => base.tracker.add({ type, sessionId: base.sessionId, at: new Date().toISOString(), ...extra }),
  };
  return <ShopContext.Provider value={shop}>{children}</ShopContext.Provider>;
}

interface TrackEvent {
  type: TrackEventType;
  sessionId: string;
  at: string;
  productId?: string;
  query?: string;
}

/** Tracker sends the clickstream in batches: at most every two seconds, and when the page is hidden. */
class Tracker {
  private queue: TrackEvent[] = [];
  private timer: number | undefined;

  constructor(private client: Client) {
    addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') this.flush();
    });
  }

  add(e: TrackEvent) {
    this.queue.push(e);
    if (this.queue.length >= 50) this.flush();
    else if (this.timer === undefined) this.timer = window.setTimeout(() => this.flush(), 2000);
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.queue.splice(0, 100);
    if (events.length) void this.client.mutation(TrackDoc, { events }).toPromise();
  }
}
