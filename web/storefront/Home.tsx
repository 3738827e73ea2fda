// The home screen: the category tree and the best sellers, in one request.
import { useQuery } from '@urql/preact';
import { graphql } from './gql';
import { ProductGrid } from './ProductCard';
import { FormError, Loading } from '../shared/ui';

const HomeDoc = graphql(`
  query HomePage {
    categories {
      id
      slug
      name
      children { id slug name }
    }
    products(first: 8, sort: { key: BEST_SELLING }) {
      nodes { ...ProductCard }
    }
  }
`);

export function Home() {
  const [{ data, fetching, error }] = useQuery({ query: HomeDoc });
  if (fetching && !data) return <Loading />;
  if (!data) return <FormError error={error} />;
  return (
    <>
      <h1>Shop by category</h1>
      <ul class="grid" aria-label="Categories">
        {data.categories.map((c) => (
          <li class="card" key={c.id}>
            <h3>
              <a href={`/c/${encodeURIComponent(c.slug)}`}>{c.name}</a>
            </h3>
            <span class="muted">
              {c.children.slice(0, 4).map((k, i) => (
                <>
                  {i > 0 && ', '}
                  <a href={`/c/${encodeURIComponent(k.slug)}`}>{k.name}</a>
                </>
              ))}
            </span>
          </li>
        ))}
      </ul>
      <h2>Best sellers</h2>
      <ProductGrid products={data.products.nodes} label="Best sellers" />
    </>
  );
}
