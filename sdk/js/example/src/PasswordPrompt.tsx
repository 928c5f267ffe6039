import { useCallback, useState, type ReactNode, type SubmitEvent } from 'react';
import type { ReverificationPrompt, ReverificationRequest } from '@hellojohn/react';
import { textField } from './form';

interface Asking {
  request: ReverificationRequest;
  answer: (password: string | null) => void;
}

/**
 * The app's side of `useReverification()`: a prompt that shows a password form and resolves with
 * what is typed (null on Cancel), and the form to render while it is asked.
 */
export function usePasswordPrompt(): [ReverificationPrompt, ReactNode] {
  const [asking, setAsking] = useState<Asking | null>(null);
  const prompt = useCallback<ReverificationPrompt>(
    (request) =>
      new Promise((resolve) => {
        setAsking({ request, answer: resolve });
      }),
    [],
  );
  const finish = (password: string | null) => {
    asking?.answer(password);
    setAsking(null);
  };
  const handleSubmit = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    finish(textField(new FormData(e.currentTarget), 'password'));
  };
  const minutes = asking?.request.maxAgeSeconds;
  const form =
    asking === null ? null : (
      <form
        className="reverify"
        onSubmit={handleSubmit}
        data-testid="reverify-form"
        role="dialog"
        aria-label="Confirm your password"
      >
        <p>
          For your security, confirm your password to continue
          {minutes ? ` (you signed in more than ${String(minutes)} s ago)` : ''}.
        </p>
        {asking.request.error ? (
          <p className="field-error" role="alert" data-testid="reverify-error">
            {asking.request.error.message}
          </p>
        ) : null}
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            autoFocus
            data-testid="reverify-password"
          />
        </label>
        <button type="submit" data-testid="reverify-submit">
          Confirm
        </button>
        <button type="button" onClick={() => finish(null)} data-testid="reverify-cancel">
          Cancel
        </button>
      </form>
    );
  return [prompt, form];
}
