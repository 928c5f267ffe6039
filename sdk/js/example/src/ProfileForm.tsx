import { useState, type SubmitEvent } from 'react';
import { useUser, type HelloJohnError } from '@hellojohn/react';
import { FieldError, FormError, asHelloJohnError } from './FieldError';
import { textField } from './form';
import { clearDraft, noteIfSignedOut, readDraft, saveDraft } from './signedOut';

const FIELDS = ['name', 'avatar_url'];

/**
 * The seed's EditProfile with what a real page needs around the same call: labelled inputs, each
 * error once (under its field, or in one banner when it names no field), a "Saved" status, and an
 * edit kept when the session was ended elsewhere (filled back in after signing in again). The
 * seed's component itself stays byte-identical in EditProfile.tsx, where the unit tests check it
 * against the seed page and run it with the SDK: its bare inputs cannot be labelled from outside.
 */
export function ProfileForm() {
  const { user, update } = useUser();
  const [draft] = useState(() => readDraft(user.id));
  const [error, setError] = useState<HelloJohnError | null>(null);
  const [saved, setSaved] = useState(false);
  const [pending, setPending] = useState(false);

  const handleSubmit = async (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const fields = { name: textField(data, 'name'), avatar_url: textField(data, 'avatar_url') };
    setPending(true);
    setError(null);
    setSaved(false);
    try {
      await update(fields);
      clearDraft();
      setSaved(true);
    } catch (err) {
      const failure = asHelloJohnError(err);
      if (noteIfSignedOut(failure)) saveDraft(user.id, fields); // the page goes to sign-in now
      setError(failure);
    } finally {
      setPending(false);
    }
  };

  return (
    <form onSubmit={(e) => void handleSubmit(e)} data-testid="profile-form" noValidate>
      {draft !== null && !saved ? (
        <p className="hint" role="status" data-testid="profile-draft-restored">
          Your unsaved changes are back: check them and save.
        </p>
      ) : null}
      <label>
        Name
        <input
          name="name"
          autoComplete="name"
          defaultValue={draft?.name ?? user.name}
          data-testid="profile-name"
        />
        <FieldError error={error} field="name" />
      </label>
      <label>
        Avatar URL <small>(optional: leave empty for no avatar)</small>
        <input
          name="avatar_url"
          inputMode="url"
          autoComplete="photo"
          defaultValue={draft?.avatar_url ?? user.avatar_url ?? ''}
          data-testid="profile-avatar-url"
        />
        <FieldError error={error} field="avatar_url" />
      </label>
      <FormError error={error} testId="edit-profile-error" fields={FIELDS} />
      {saved ? (
        <p className="success" role="status" data-testid="edit-profile-saved">
          Saved.
        </p>
      ) : null}
      <button type="submit" disabled={pending}>
        {pending ? 'Saving…' : 'Save'}
      </button>
    </form>
  );
}
