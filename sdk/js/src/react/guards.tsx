import type { ReactNode } from 'react';
import { useAuthState } from './hooks.js';

export interface GuardProps {
  children?: ReactNode;
}

/** Renders its children only when a user is signed in (and loaded). */
export function SignedIn({ children }: GuardProps): ReactNode {
  const state = useAuthState();
  return state.status === 'signed-in' && state.user !== null ? children : null;
}

/** Renders its children only when the session is known and nobody is signed in. */
export function SignedOut({ children }: GuardProps): ReactNode {
  const state = useAuthState();
  return state.status === 'signed-out' ? children : null;
}

/** Renders its children while the session of an earlier page load is being restored. */
export function AuthLoading({ children }: GuardProps): ReactNode {
  const state = useAuthState();
  return state.status === 'loading' ? children : null;
}
