// The admin client, served at /admin: the dashboard, the catalog and the orders.
import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { Provider } from '@urql/preact';
import '../shared/styles.css';
import { AdminProvider, useAdmin } from './admin';
import { SignIn, signOut } from './SignIn';
import { Dashboard } from './Dashboard';
import { ProductCreate, ProductEdit, ProductList } from './Products';
import { OrderDetail, OrderList } from './Orders';
import { interceptLinks, match, navigate, useLocation } from '../shared/router';

function Screen({ url }: { url: URL }) {
  const path = url.pathname.replace(/\/+$/, '') || '/admin';
  const q = url.searchParams;
  let m: Record<string, string> | null;
  if (path === '/admin') return <Dashboard query={q} />;
  if (path === '/admin/products') return <ProductList query={q} />;
  if (path === '/admin/products/new') return <ProductCreate />;
  if ((m = match('/admin/products/:id', path))) return <ProductEdit id={m.id} />;
  if (path === '/admin/orders') return <OrderList query={q} />;
  if ((m = match('/admin/orders/:id', path))) return <OrderDetail id={m.id} />;
  return <h1>Page not found</h1>;
}

function App() {
  const url = useLocation();
  const admin = useAdmin();
  const signedIn = admin.user?.role === 'ADMIN';
  const onSignIn = url.pathname === '/admin/signin';
  useEffect(() => {
    if (!signedIn && !onSignIn) navigate(`/admin/signin?next=${encodeURIComponent(url.pathname + url.search)}`, true);
  }, [signedIn, onSignIn]);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else document.getElementById('main')?.focus({ preventScroll: true });
  }, [url.pathname]);
  return (
    <Provider value={admin.client}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/admin">
          shopgraph admin
        </a>
        {signedIn && (
          <nav aria-label="Admin">
            <a href="/admin" aria-current={url.pathname === '/admin' ? 'page' : undefined}>
              Dashboard
            </a>
            <a href="/admin/products">Products</a>
            <a href="/admin/orders">Orders</a>
            <span class="muted">{admin.user?.email}</span>
            <button type="button" class="secondary" onClick={() => signOut(admin)}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {onSignIn ? <SignIn /> : signedIn ? <Screen url={url} key={url.pathname + url.search} /> : null}
      </main>
    </Provider>
  );
}

const root = document.getElementById('app')!;
interceptLinks(root);
render(
  <AdminProvider>
    <App />
  </AdminProvider>,
  root,
);
