import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Navigate, NavLink, Route, Routes, useLocation } from 'react-router';
import { CallPage } from './pages/CallPage';
import { CallsPage } from './pages/CallsPage';
import { ClaimsPage } from './pages/ClaimsPage';
import { FailuresPage } from './pages/FailuresPage';
import { OrderPage } from './pages/OrderPage';
import { OrdersPage } from './pages/OrdersPage';
import { RunPage } from './pages/RunPage';
import { RunsPage } from './pages/RunsPage';
import { SignInPage } from './pages/SignInPage';
import { useSession } from './session';
import { useTRPC } from './trpc';

/** Polls the public health procedure: says so at the top of every page when the server is gone. */
function ServerStatus() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const health = useQuery({
    ...trpc.health.queryOptions(),
    refetchInterval: 3000,
    retry: false,
  });
  // Back after an outage: reload what the pages show (their failed calls are not retried).
  const wasDown = useRef(false);
  useEffect(() => {
    if (health.isError) wasDown.current = true;
    else if (health.isSuccess && wasDown.current) {
      wasDown.current = false;
      void queryClient.invalidateQueries();
    }
  }, [health.isError, health.isSuccess, queryClient]);
  if (!health.isError) return null;
  const offline = !health.error.data;
  return (
    <div className="notice notice-error banner" role="alert">
      <p className="notice-title">
        {offline ? 'The server cannot be reached' : 'The server is not ready'}
      </p>
      <p>
        {offline
          ? 'No answer from the order completion server: it is stopped, restarting or unreachable. Data on this page may be out of date; it reloads when the server is back.'
          : health.error.message}
      </p>
    </div>
  );
}

/** Moves focus to the new page's heading after client-side navigation, for screen readers. */
function useFocusOnNavigate() {
  const { pathname } = useLocation();
  const previous = useRef(pathname);
  useEffect(() => {
    if (previous.current === pathname) return;
    previous.current = pathname;
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [pathname]);
}

export function App() {
  const { token, signOut } = useSession();
  useFocusOnNavigate();
  if (!token) {
    return (
      <>
        <header className="site-header">
          <p className="brand">Order completion · admin</p>
        </header>
        <ServerStatus />
        <main>
          <SignInPage />
        </main>
      </>
    );
  }
  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="site-header">
        <p className="brand">Order completion · admin</p>
        <nav aria-label="Main">
          <ul>
            <li>
              <NavLink to="/" end>
                Runs
              </NavLink>
            </li>
            <li>
              <NavLink to="/failures">Failures</NavLink>
            </li>
            <li>
              <NavLink to="/orders">Orders</NavLink>
            </li>
            <li>
              <NavLink to="/calls">Calls</NavLink>
            </li>
            <li>
              <NavLink to="/claims">Claims</NavLink>
            </li>
          </ul>
        </nav>
        <button type="button" className="secondary" onClick={signOut}>
          Sign out
        </button>
      </header>
      <ServerStatus />
      <main id="content">
        <Routes>
          <Route path="/" element={<RunsPage />} />
          <Route path="/runs" element={<Navigate to="/" replace />} />
          <Route path="/runs/:id" element={<RunPage />} />
          <Route path="/failures" element={<FailuresPage />} />
          <Route path="/orders" element={<OrdersPage />} />
          <Route path="/orders/:id" element={<OrderPage />} />
          <Route path="/calls" element={<CallsPage />} />
          <Route path="/calls/:id" element={<CallPage />} />
          <Route path="/claims" element={<ClaimsPage />} />
          <Route
            path="*"
            element={
              <>
                <h1 tabIndex={-1}>Page not found</h1>
                <p>
                  There is no page here. <NavLink to="/orders">Go to the orders</NavLink>.
                </p>
              </>
            }
          />
        </Routes>
      </main>
    </>
  );
}
