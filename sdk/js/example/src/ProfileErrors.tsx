import { useEffect, useState } from 'react';
import { HelloJohnError, useOptionalUser } from '@hellojohn/react';

/**
 * The seed's EditProfile is used unchanged, and it does not catch the rejection of `update()`.
 * This component shows those errors anyway: it listens for unhandled rejections that are
 * HelloJohnErrors and shows the API's message and per-field details beside the form. It also
 * says when the profile was saved (the user's `updated_at` changed).
 */
export function ProfileErrors() {
  const { user } = useOptionalUser();
  const [error, setError] = useState<HelloJohnError | null>(null);
  const [savedAt, setSavedAt] = useState<string | null>(null);
  // A changed `updated_at` means a save went through: noted during render (React's pattern for
  // state that follows a prop), not in an effect, which would render twice.
  const updatedAt = user?.updated_at ?? null;
  const [seenUpdatedAt, setSeenUpdatedAt] = useState(updatedAt);
  if (updatedAt !== seenUpdatedAt) {
    setSeenUpdatedAt(updatedAt);
    if (updatedAt !== null) {
      setSavedAt(updatedAt);
      setError(null);
    }
  }

  useEffect(() => {
    const onRejection = (event: PromiseRejectionEvent) => {
      if (event.reason instanceof HelloJohnError) {
        event.preventDefault();
        setError(event.reason);
      }
    };
    window.addEventListener('unhandledrejection', onRejection);
    return () => window.removeEventListener('unhandledrejection', onRejection);
  }, []);

  return (
    <div className="profile-status">
      {error !== null ? (
        <div
          className="form-error"
          role="alert"
          data-testid="edit-profile-error"
          data-error-code={error.code}
        >
          <span>{error.message}</span>
          {error.details.map((d) => (
            <span key={`${d.field}:${d.message}`} data-testid={`error-${d.field}`}>
              {d.field}: {d.message}
            </span>
          ))}
        </div>
      ) : null}
      {savedAt !== null && error === null ? (
        <p className="success" role="status" data-testid="edit-profile-saved">
          Saved ({savedAt}).
        </p>
      ) : null}
    </div>
  );
}
