/**
 * Sign-in: the token is checked with the server (`session.me`) before it is kept, so a wrong
 * token or a scheduler token is refused here, with the server's reason.
 */
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { describeError } from '../errors';
import { useSession } from '../session';
import { createClient } from '../trpc';

export function SignInPage() {
  const { signIn } = useSession();
  const queryClient = useQueryClient();
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<{ title: string; detail: string } | null>(null);
  const [checking, setChecking] = useState(false);
  const inputId = useId();
  const hintId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setProblem({ title: 'Enter a token', detail: 'The admin token is required to sign in.' });
      return;
    }
    setChecking(true);
    setProblem(null);
    try {
      await createClient(() => value).session.me.query();
      queryClient.clear();
      signIn(value);
    } catch (error) {
      const described = describeError(error);
      if (!described.offline && 'data' in (error as object)) {
        const status = (error as { data?: { httpStatus?: number } }).data?.httpStatus;
        if (status === 401) {
          setProblem({
            title: 'Wrong token',
            detail: 'The server does not know this token. Check it and try again.',
          });
          return;
        }
        if (status === 403) {
          setProblem({
            title: 'This token is not an admin token',
            detail: `The server refused it: ${(error as Error).message}. Sign in with an admin token.`,
          });
          return;
        }
      }
      setProblem(described);
    } finally {
      setChecking(false);
    }
  }

  return (
    <section className="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title" tabIndex={-1}>
        Sign in
      </h1>
      <form onSubmit={submit} noValidate>
        <label htmlFor={inputId}>Admin token</label>
        <input
          id={inputId}
          name="token"
          type="password"
          autoComplete="current-password"
          aria-describedby={hintId}
          aria-invalid={problem ? true : undefined}
          value={token}
          onChange={(event) => setToken(event.target.value)}
        />
        <p id={hintId} className="hint">
          Kept for this browser tab only (session storage); closing the tab signs you out.
        </p>
        <button type="submit" disabled={checking}>
          {checking ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      {problem ? (
        <div className="notice notice-error" role="alert">
          <p className="notice-title">{problem.title}</p>
          <p>{problem.detail}</p>
        </div>
      ) : null}
    </section>
  );
}
