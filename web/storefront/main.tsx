// The storefront: a single-page app served at /, one screen per path.
import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import '../shared/styles.css';
import { Provider } from '@urql/preact';
import { ShopProvider, useShop } from './shop';
import { Home } from './Home';
import { CategoryPage, SearchPage } from './Listing';
import { ProductPage } from './ProductPage';
import { CartPage } from './Cart';
import { SignIn, SignUp, signOut } from './Account';
import { CheckoutPage } from './Checkout';
import { OrdersPage } from './Orders';
import { OrderPage } from './OrderPage';
import { interceptLinks, match, navigate, useLocation } from '../shared/router';

function Screen({ url }: { url: URL }) {
  const path = url.pathname;
  const q = url.searchParams;
  let m: Record<string, string> | null;
  if (path === '/') return <Home />;
  if (path === '/search') return <SearchPage query={q} />;
  if ((m = match('/c/:slug', path))) return <CategoryPage slug={m.slug} query={q} />;
  if ((m = match('/p/:slug', path))) return <ProductPage slug={m.slug} />;
  if (path === '/cart') return <CartPage />;
  if (path === '/checkout') return <CheckoutPage />;
  if (path === '/signin') return <SignIn query={q} />;
  if (path === '/signup') return <SignUp query={q} />;
  if (path === '/orders') return <OrdersPage query={q} />;
  if ((m = match('/orders/:id', path))) return <OrderPage id={m.id} />;
  return (
    <>
      <h1>Page not found</h1>
      <p>
        <a href="/">Back to the shop</a>
      </p>
    </>
  );
}

function Header({ url }: { url: URL }) {
  const shop = useShop();
  return (
    <header class="top">
      <a class="brand" href="/">
        shopgraph
      </a>
      <form
        class="search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          const q = String(new FormData(e.currentTarget).get('q') ?? '').trim();
          navigate(`/search?${new URLSearchParams(q ? { q } : {})}`);
        }}
      >
        <label class="sr-only" for="search-q">
          Search products
        </label>
        <input id="search-q" name="q" type="search" placeholder="Search products" defaultValue={url.pathname === '/search' ? url.searchParams.get('q') ?? '' : ''} key={url.pathname} />
        <button type="submit">Search</button>
      </form>
      <nav aria-label="Account">
        <a href="/cart" data-cart-count={shop.cartCount}>
          Cart ({shop.cartCount})
        </a>
        {shop.user ? (
          <>
            <a href="/orders">Orders</a>
            <span class="muted">{shop.user.name}</span>
            <button type="button" class="secondary" onClick={() => signOut(shop)}>
              Sign out
            </button>
          </>
        ) : (
          <>
            <a href={`/signin?next=${encodeURIComponent(url.pathname + url.search)}`}>Sign in</a>
            <a href="/signup">Create account</a>
          </>
        )}
      </nav>
    </header>
  );
}

function App() {
  const url = useLocation();
  const shop = useShop();
  useEffect(() => shop.track('PAGE_VIEWED'), [url.pathname, url.search]);
  // A new screen moves the focus to its content, as a page load would.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else document.getElementById('main')?.focus({ preventScroll: true });
  }, [url.pathname]);
  return (
    <Provider value={shop.client}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Header url={url} />
      <main id="main" tabIndex={-1}>
        <Screen url={url} key={url.pathname + url.search} />
      </main>
    </Provider>
  );
}

const root = document.getElementById('app')!;
interceptLinks(root);
render(
  <ShopProvider>
    <App />
  </ShopProvider>,
  root,
);
