import type { ReactNode } from 'react';
import { HelloJohnError } from '@hellojohn/react';

/** The API's message about one field (from `HelloJohnError.details`), shown under the input. */
export function FieldError({ error, field }: { error: HelloJohnError | null; field: string }) {
  const message = error?.fieldError(field);
  if (message === undefined) return null;
  return (
    <span className="field-error" role="alert" data-testid={`error-${field}`}>
      {message}
    </span>
  );
}

/** A labelled, required password input with the API's message about it underneath. */
export function PasswordField({
  label,
  name,
  autoComplete,
  testId,
  error,
  children,
}: {
  label: string;
  name: string;
  autoComplete: 'current-password' | 'new-password';
  testId: string;
  error: HelloJohnError | null;
  children?: ReactNode;
}) {
  return (
    <label>
      {label}
      <input name={name} type="password" autoComplete={autoComplete} required data-testid={testId} />
      <FieldError error={error} field={name} />
      {children}
    </label>
  );
}

/**
 * The error's message and code, for errors that name no field of the form: when every detail is
 * shown under its field, there is no banner (each error is said once).
 */
export function FormError({
  error,
  testId,
  fields,
}: {
  error: HelloJohnError | null;
  testId: string;
  fields: string[];
}) {
  if (error === null) return null;
  const unplaced = error.details.filter((d) => !fields.includes(d.field));
  if (error.details.length > 0 && unplaced.length === 0) return null;
  return (
    <div className="form-error" role="alert" data-testid={testId} data-error-code={error.code}>
      <span>{error.message}</span>
      {unplaced.map((d) => (
        <span key={`${d.field}:${d.message}`}>
          {d.field ? `${d.field}: ` : ''}
          {d.message}
        </span>
      ))}
      <small>
        {error.code}
        {error.requestId ? ` · ${error.requestId}` : ''}
      </small>
    </div>
  );
}

/** Wraps any thrown value as a HelloJohnError so that the forms have one type to render. */
export function asHelloJohnError(value: unknown): HelloJohnError {
  if (value instanceof HelloJohnError) return value;
  return new HelloJohnError({
    code: 'internal_error',
    message: value instanceof Error ? value.message : String(value),
    status: 0,
  });
}
