// Signing in to the admin: only accounts with the ADMIN role get past it.
import { useState } from 'preact/hooks';
import { graphql } from './gql';
import { useAdmin } from './admin';
import { navigate } from '../shared/router';
import { Field, FormError, fieldErrors, formValues, type FieldErrors } from '../shared/ui';

const AdminLoginDoc = graphql(`
  mutation AdminLogin($input: LoginInput!) {
    login(input: $input) {
      token
      refreshToken
      expiresAt
      user { id email name role }
      userErrors { field message code }
    }
  }
`);

const AdminLogoutDoc = graphql(`
  mutation AdminLogout {
    logout
  }
`);

export function SignIn() {
  const admin = useAdmin();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  return (
    <>
      <h1>Sign in to the admin</h1>
      <form
        class="narrow"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const v = formValues(e);
          setBusy(true);
          const r = await admin.client.mutation(AdminLoginDoc, { input: { email: v.email, password: v.password } }).toPromise();
          setBusy(false);
          const p = r.data?.login;
          if (p?.user && p.user.role !== 'ADMIN') {
            setErrors({ '': 'This account is not an admin account.' });
            return;
          }
          if (p && admin.session.setFrom(p)) {
            const next = new URLSearchParams(location.search).get('next');
            navigate(next?.startsWith('/admin') ? next : '/admin');
            return;
          }
          setErrors(p ? fieldErrors(p.userErrors) : { '': r.error?.message ?? 'Sign-in failed.' });
        }}
      >
        <FormError message={errors['']} />
        <Field label="Email" name="email" type="email" autoComplete="username" required error={errors.email} />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required error={errors.password} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </>
  );
}

export async function signOut(admin: ReturnType<typeof useAdmin>) {
  await admin.client.mutation(AdminLogoutDoc, {}).toPromise();
  admin.session.clear();
  navigate('/admin/signin');
}
