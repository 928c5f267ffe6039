import { AuthLoading, SignedIn, SignedOut, useOptionalUser } from '@hellojohn/react';
import { ChangeEmailForm } from './ChangeEmailForm';
import { ChangePasswordForm } from './ChangePasswordForm';
import { DeleteAccount } from './DeleteAccount';
import { ProfileForm } from './ProfileForm';
import { SessionsList } from './SessionsList';
import { SignInForm } from './SignInForm';
import { UserCard } from './UserCard';

function SignedInPage() {
  const { user } = useOptionalUser();
  if (user?.passwordChangeRequired) {
    // A temporary password: the API refuses everything but /me, the password change and sign-out.
    return (
      <>
        <UserCard />
        <p className="card" data-testid="password-change-required">
          Your password is temporary: choose a new one to continue.
        </p>
        <ChangePasswordForm key={`password-${user.id}`} />
      </>
    );
  }
  return (
    <>
      <UserCard />
      <section className="card" data-testid="edit-profile">
        <h2>Profile</h2>
        <p className="hint">
          The seed page's <code>EditProfile</code> call, <code>useUser().update()</code> →{' '}
          <code>PATCH /v1/auth/me</code>, with labels and each error by its field (the seed&apos;s component,
          unchanged, is in <code>EditProfile.tsx</code>).
        </p>
        {/* Remount on another user so that the uncontrolled inputs take the new defaults. */}
        <ProfileForm key={user?.id} />
      </section>
      <ChangeEmailForm key={`email-${user?.id ?? ''}`} />
      <ChangePasswordForm key={`password-${user?.id ?? ''}`} />
      <SessionsList key={`sessions-${user?.id ?? ''}`} />
      <DeleteAccount key={`delete-${user?.id ?? ''}`} />
    </>
  );
}

export function App() {
  return (
    <main className="page">
      <h1>HelloJohn Users · React SDK example</h1>
      <AuthLoading>
        <p className="card" data-testid="loading">
          Restoring session…
        </p>
      </AuthLoading>
      <SignedOut>
        <SignInForm />
      </SignedOut>
      <SignedIn>
        <SignedInPage />
      </SignedIn>
    </main>
  );
}
