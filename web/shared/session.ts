// A signed-in session kept in localStorage, so that a reload or a second tab stays signed in.

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: 'CUSTOMER' | 'ADMIN';
}

export interface Session {
  token: string;
  refreshToken: string;
  /** When the access token expires, as milliseconds since the epoch. */
  expiresAt: number;
  user: SessionUser;
}

/** What sign-up, sign-in and refresh answer (AuthPayload), as far as a session needs it. */
export interface AuthResult {
  token?: string | null;
  refreshToken?: string | null;
  expiresAt?: string | null;
  user?: SessionUser | null;
}

export class SessionStore {
  private listeners = new Set<() => void>();
  private current: Session | null;

  constructor(private key: string) {
    this.current = read(key);
    addEventListener('storage', (e) => {
      if (e.key === key) {
        this.current = read(key);
        this.emit();
      }
    });
  }

  get(): Session | null {
    return this.current;
  }

  /** Stores the session an AuthPayload carries; false when it carries none. */
  setFrom(r: AuthResult | null | undefined): boolean {
    if (!r?.token || !r.refreshToken || !r.user) return false;
    const expiresAt = r.expiresAt ? Date.parse(r.expiresAt) : Date.now() + 15 * 60_000;
    this.current = { token: r.token, refreshToken: r.refreshToken, expiresAt, user: r.user };
    localStorage.setItem(this.key, JSON.stringify(this.current));
    this.emit();
    return true;
  }

  clear(): void {
    this.current = null;
    localStorage.removeItem(this.key);
    this.emit();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit() {
    for (const fn of this.listeners) fn();
  }
}

function read(key: string): Session | null {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}
