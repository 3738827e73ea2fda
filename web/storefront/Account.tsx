// Signing up and signing in. A guest cart comes along: the server merges it into the
// account's cart, which then becomes the cart of this browser.
import { useState } from 'preact/hooks';
import { graphql } from './gql';
import { useShop } from './shop';
import { adoptAccountCart } from './cartActions';
import { navigate } from '../shared/router';
import { Field, FormError, fieldErrors, formValues, type FieldErrors } from '../shared/ui';

const AuthFields = graphql(`
  fragment StorefrontAuth on AuthPayload {
    token
    refreshToken
    expiresAt
    user { id email name role }
    userErrors { field message code }
  }
`);
void AuthFields;

const RegisterDoc = graphql(`
  mutation Register($input: RegisterInput!) {
    register(input: $input) { ...StorefrontAuth }
  }
`);

const LoginDoc = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) { ...StorefrontAuth }
  }
`);

const LogoutDoc = graphql(`
  mutation Logout {
    logout
  }
`);

function next(query: URLSearchParams): string {
  const n = query.get('next') ?? '/';
  return n.startsWith('/') && !n.startsWith('//') ? n : '/';
}

export function SignUp({ query }: { query: URLSearchParams }) {
  const shop = useShop();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  return (
    <>
      <h1>Create an account</h1>
      <form
        class="narrow"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const v = formValues(e);
          setBusy(true);
          const r = await shop.client
            .mutation(RegisterDoc, { input: { name: v.name, email: v.email, password: v.password, guestCartId: shop.cartId } })
            .toPromise();
          setBusy(false);
          const p = r.data?.register;
          if (p && shop.session.setFrom(p)) {
            await adoptAccountCart(shop);
            navigate(next(query));
            return;
          }
          setErrors(p ? fieldErrors(p.userErrors) : { '': r.error?.message ?? 'Sign-up failed.' });
        }}
      >
        <FormError message={errors['']} />
        <Field label="Name" name="name" autoComplete="name" required error={errors.name} />
        <Field label="Email" name="email" type="email" autoComplete="email" required error={errors.email} />
        <Field label="Password (at least 8 characters)" name="password" type="password" autoComplete="new-password" required error={errors.password} />
        <button type="submit" disabled={busy}>
          Create account
        </button>
      </form>
      <p>
        Already have an account? <a href={`/signin?${query}`}>Sign in</a>
      </p>
    </>
  );
}

export function SignIn({ query }: { query: URLSearchParams }) {
  const shop = useShop();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  return (
    <>
      <h1>Sign in</h1>
      <form
        class="narrow"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const v = formValues(e);
          setBusy(true);
          const r = await shop.client
            .mutation(LoginDoc, { input: { email: v.email, password: v.password, guestCartId: shop.cartId } })
            .toPromise();
          setBusy(false);
          const p = r.data?.login;
          if (p && shop.session.setFrom(p)) {
            await adoptAccountCart(shop);
            navigate(next(query));
            return;
          }
          setErrors(p ? fieldErrors(p.userErrors) : { '': r.error?.message ?? 'Sign-in failed.' });
        }}
      >
        <FormError message={errors['']} />
        <Field label="Email" name="email" type="email" autoComplete="email" required error={errors.email} />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required error={errors.password} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <p>
        New here? <a href={`/signup?${query}`}>Create an account</a>
      </p>
    </>
  );
}

/** signOut ends the sessions on the server, then forgets them and the account's cart here. */
export async function signOut(shop: ReturnType<typeof useShop>): Promise<void> {
  await shop.client.mutation(LogoutDoc, {}).toPromise();
  shop.session.clear();
  shop.setCart(null);
  navigate('/');
}
