import { useState } from 'react';
import { useAuth, useUser } from '@hellojohn/react';

function initials(name: string, email: string): string {
  const source = name.trim() !== '' ? name : email;
  const parts = source.split(/[\s@._-]+/).filter(Boolean);
  return parts
    .slice(0, 2)
    .map((p) => p[0]?.toUpperCase() ?? '')
    .join('');
}

/** Who is signed in: avatar (or initials), name, email, role. */
export function UserCard() {
  const { user } = useUser();
  const { signOut } = useAuth();
  const [brokenAvatar, setBrokenAvatar] = useState<string | null>(null);
  const showImage = user.avatar_url !== null && user.avatar_url !== '' && brokenAvatar !== user.avatar_url;

  return (
    <header className="card user-card" data-testid="current-user">
      {showImage ? (
        <img
          className="avatar"
          src={user.avatar_url ?? ''}
          alt=""
          data-testid="current-user-avatar"
          onError={() => setBrokenAvatar(user.avatar_url)}
        />
      ) : (
        <span className="avatar initials" aria-hidden="true" data-testid="current-user-initials">
          {initials(user.name, user.email)}
        </span>
      )}
      <div className="who">
        <strong data-testid="current-user-name">{user.name || '(no name)'}</strong>
        <span data-testid="current-user-email">{user.email}</span>
        <small>
          {user.role} · {user.id}
        </small>
        <small data-testid="current-user-avatar-url">
          avatar_url: {user.avatar_url === null ? 'null' : JSON.stringify(user.avatar_url)}
        </small>
      </div>
      <button type="button" className="secondary" onClick={() => void signOut()} data-testid="sign-out">
        Sign out
      </button>
    </header>
  );
}
