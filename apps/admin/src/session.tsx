/** The admin token lives in sessionStorage only: gone when the browser tab closes. */
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';

const storageKey = 'ocs-admin-token';

interface Session {
  token: string | null;
  signIn(token: string): void;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

export function readToken(): string | null {
  try {
    return sessionStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(readToken);
  const signIn = useCallback((value: string) => {
    sessionStorage.setItem(storageKey, value);
    setToken(value);
  }, []);
  const signOut = useCallback(() => {
    sessionStorage.removeItem(storageKey);
    setToken(null);
  }, []);
  const session = useMemo(() => ({ token, signIn, signOut }), [token, signIn, signOut]);
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
