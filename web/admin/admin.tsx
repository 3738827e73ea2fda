// The admin client's shared state: its own session (kept apart from a shopper's in the
// same browser) and the GraphQL client.
import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useMemo, useState } from 'preact/hooks';
import type { Client } from '@urql/core';
import { makeClient } from '../shared/client';
import { SessionStore, type Session } from '../shared/session';
import { graphql } from './gql';
import hashes from './gql/hashes.json';

const RefreshDoc = graphql(`
  mutation AdminRefresh($token: String!) {
    refreshToken(token: $token) {
      token
      refreshToken
      expiresAt
      user { id email name role }
      userErrors { code message }
    }
  }
`);

export interface Admin {
  client: Client;
  session: SessionStore;
  user: Session['user'] | null;
}

const AdminContext = createContext<Admin | null>(null);

export function useAdmin(): Admin {
  const a = useContext(AdminContext);
  if (!a) throw new Error('useAdmin outside AdminProvider');
  return a;
}

export function AdminProvider({ children }: { children: ComponentChildren }) {
  const base = useMemo(() => {
    const session = new SessionStore('sg.admin.session');
    const { client } = makeClient({
      session,
      hashes,
      refresh: async (utils, token) => (await utils.mutate(RefreshDoc, { token })).data?.refreshToken,
    });
    return { session, client };
  }, []);
  const [user, setUser] = useState(base.session.get()?.user ?? null);
  useEffect(() => base.session.subscribe(() => setUser(base.session.get()?.user ?? null)), []);
  return <AdminContext.Provider value={{ ...base, user }}>{children}</AdminContext.Provider>;
}
