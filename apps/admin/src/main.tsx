import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App';
import { readToken, SessionProvider } from './session';
import { createClient, isApiError, TRPCProvider } from './trpc';
import './styles.css';

function Root() {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            // Only a call that never got an answer is worth repeating at once.
            retry: (count, error) => count < 1 && isApiError(error) && !error.data,
            refetchOnWindowFocus: false,
          },
        },
      }),
  );
  const [client] = useState(() => createClient(readToken));
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={client} queryClient={queryClient}>
        <SessionProvider>
          <BrowserRouter basename="/admin">
            <App />
          </BrowserRouter>
        </SessionProvider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
