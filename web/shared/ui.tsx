// Form parts both clients use: every input has a label, and a user error appears next
// to the field it names (announced to screen readers).
import type { ComponentChildren, JSX } from 'preact';
import type { CombinedError } from '@urql/core';

export interface UserErrorLike {
  field?: readonly string[] | null;
  message: string;
  code: string;
}

/** FieldErrors maps a field's name (the last element of its path) to its message; "" holds errors about no field. */
export type FieldErrors = Record<string, string>;

export function fieldErrors(errs: readonly UserErrorLike[] | null | undefined): FieldErrors {
  const out: FieldErrors = {};
  for (const e of errs ?? []) {
    const key = e.field?.length ? e.field[e.field.length - 1] : '';
    out[key] = out[key] ? `${out[key]} ${e.message}` : e.message;
  }
  return out;
}

type InputProps = JSX.InputHTMLAttributes<HTMLInputElement> & {
  label: string;
  name: string;
  error?: string;
};

export function Field({ label, name, error, id: idProp, ...rest }: InputProps) {
  const id = idProp ?? `f-${name}`;
  return (
    <div class={`field${error ? ' has-error' : ''}`}>
      <label for={id}>{label}</label>
      <input id={id} name={name} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${id}-err` : undefined} {...rest} />
      {error && (
        <p class="field-error" id={`${id}-err`} role="alert" data-field-error={name}>
          {error}
        </p>
      )}
    </div>
  );
}

type SelectProps = JSX.SelectHTMLAttributes<HTMLSelectElement> & {
  label: string;
  name: string;
  error?: string;
  children: ComponentChildren;
};

export function Select({ label, name, error, children, ...rest }: SelectProps) {
  const id = `f-${name}`;
  return (
    <div class={`field${error ? ' has-error' : ''}`}>
      <label for={id}>{label}</label>
      <select id={id} name={name} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${id}-err` : undefined} {...rest}>
        {children}
      </select>
      {error && (
        <p class="field-error" id={`${id}-err`} role="alert" data-field-error={name}>
          {error}
        </p>
      )}
    </div>
  );
}

/** FormError shows errors that name no field, and transport or GraphQL errors. */
export function FormError({ message, error }: { message?: string; error?: CombinedError | null }) {
  const text = message || (error ? errorText(error) : '');
  if (!text) return null;
  return (
    <p class="form-error" role="alert">
      {text}
    </p>
  );
}

export function errorText(e: CombinedError): string {
  if (e.networkError) return 'The shop cannot be reached. Check your connection and try again.';
  return e.graphQLErrors.map((g) => g.message).join(' ') || e.message;
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      {label}
    </p>
  );
}

/** formValues reads a form's named fields as strings. */
export function formValues(e: Event): Record<string, string> {
  const form = e.currentTarget as HTMLFormElement;
  const out: Record<string, string> = {};
  new FormData(form).forEach((v, k) => {
    out[k] = String(v);
  });
  return out;
}

/** Stars shows a rating as stars with the figures in words for screen readers. */
export function Stars({ average, count }: { average: number; count?: number }) {
  const full = Math.round(average);
  const words = `${average.toFixed(1)} out of 5 stars` + (count === undefined ? '' : `, ${count} ${count === 1 ? 'review' : 'reviews'}`);
  return (
    <span class="stars" data-rating={average.toFixed(1)} role="img" aria-label={words}>
      <span aria-hidden="true">
        {'★'.repeat(full)}
        <span class="stars-off">{'★'.repeat(5 - full)}</span>
      </span>
      {count !== undefined && (
        <span class="muted" aria-hidden="true">
          {' '}
          ({count})
        </span>
      )}
    </span>
  );
}

/** LineItem is a cart or order line's product: its picture, name and variant. */
export function LineItem(props: {
  href?: string;
  name: string;
  variantTitle: string;
  image?: { url: string; altText?: string | null } | null;
}) {
  return (
    <span class="line-item">
      {props.image && <img src={props.image.url} alt="" width={48} height={48} loading="lazy" />}
      <span>
        {props.href ? <a href={props.href}>{props.name}</a> : props.name}
        {props.variantTitle !== 'Default' && (
          <>
            <br />
            <span class="muted" data-variant>
              {props.variantTitle}
            </span>
          </>
        )}
      </span>
    </span>
  );
}
