/** A text field's value from a submitted form: `''` when the field is absent (or is a file). */
export function textField(data: FormData, name: string): string {
  const value = data.get(name);
  return typeof value === 'string' ? value : '';
}
