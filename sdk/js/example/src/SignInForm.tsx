import { useState, type SubmitEvent } from 'react';
import { useAuth, type HelloJohnError } from '@hellojohn/react';
import { FieldError, FormError, PasswordField, asHelloJohnError } from './FieldError';
import { textField } from './form';
import { forgetSignedOutReason, useSignedOutReason } from './signedOut';

export function SignInForm() {
  const { signIn } = useAuth();
  const [error, setError] = useState<HelloJohnError | null>(null);
  const [pending, setPending] = useState(false);
  const endedElsewhere = useSignedOutReason() !== null;

  const handleSubmit = async (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    setPending(true);
    setError(null);
    try {
      await signIn({ email: textField(data, 'email'), password: textField(data, 'password') });
      forgetSignedOutReason();
    } catch (err) {
      setError(asHelloJohnError(err));
      setPending(false);
    }
  };

  return (
    <form className="card" onSubmit={(e) => void handleSubmit(e)} data-testid="sign-in-form">
      <h2>Sign in</h2>
      {endedElsewhere ? (
        <p className="form-error" role="alert" data-testid="signed-out-notice">
          You were signed out: this session was ended from another tab or device. Sign in again to continue;
          your unsaved profile changes will be filled back in.
        </p>
      ) : null}
      <label>
        Email
        <input name="email" type="email" autoComplete="username" required data-testid="sign-in-email" />
        <FieldError error={error} field="email" />
      </label>
      <PasswordField
        label="Password"
        name="password"
        autoComplete="current-password"
        testId="sign-in-password"
        error={error}
      />
      <FormError error={error} testId="sign-in-error" fields={['email', 'password']} />
      <button type="submit" disabled={pending} data-testid="sign-in-submit">
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
