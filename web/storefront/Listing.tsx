// Product listings: a category's products and search results, each one request, with
// the filters (category, price, stock, brands, attributes, sort) kept in the URL so that a
// listing can be shared, reloaded and gone back to. The facets (brands and attribute
// values with their counts) come with the products in the same request.
import { useEffect } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { graphql } from './gql';
import type { AttributeFilter, ListingFacetFragment, ProductFilter, ProductSort, ProductSortKey } from './gql/graphql';
import { ProductGrid } from './ProductCard';
import { useShop } from './shop';
import { navigate } from '../shared/router';
import { FormError, Loading } from '../shared/ui';

const PAGE = 24;

const CategoryMenuFields = graphql(`
  fragment CategoryMenu on Category {
    id
    slug
    name
    children { id slug name children { id slug name } }
  }
`);
void CategoryMenuFields;

const FacetFields = graphql(`
  fragment ListingFacet on ProductFacet {
    kind
    name
    type
    min
    max
    values { value label count }
  }
`);
void FacetFields;

const CategoryListingDoc = graphql(`
  query CategoryListing($slug: String!, $filter: ProductFilter, $sort: ProductSort, $first: Int!, $after: String) {
    category(slug: $slug) {
      id
      name
      description
      parent { id slug name }
      products(first: $first, after: $after, filter: $filter, sort: $sort) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { ...ProductCard }
        facets { ...ListingFacet }
      }
    }
    categories { ...CategoryMenu }
  }
`);

const SearchDoc = graphql(`
  query SearchProducts($filter: ProductFilter, $sort: ProductSort, $first: Int!, $after: String) {
    products(first: $first, after: $after, filter: $filter, sort: $sort) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { ...ProductCard }
      facets { ...ListingFacet }
    }
    categories { ...CategoryMenu }
  }
`);

const sorts: { value: string; label: string; sort: ProductSort }[] = [
  { value: 'relevance', label: 'Relevance', sort: { key: 'RELEVANCE' } },
  { value: 'best', label: 'Best selling', sort: { key: 'BEST_SELLING' } },
  { value: 'price', label: 'Price: low to high', sort: { key: 'PRICE' } },
  { value: 'price-desc', label: 'Price: high to low', sort: { key: 'PRICE', reverse: true } },
  { value: 'name', label: 'Name', sort: { key: 'NAME' } },
  { value: 'newest', label: 'Newest', sort: { key: 'CREATED_AT' as ProductSortKey, reverse: true } },
];

interface ListingParams {
  filter: ProductFilter;
  sort: ProductSort | undefined;
  after: string | undefined;
  sortValue: string;
}

function readParams(q: URLSearchParams, withQuery: boolean): ListingParams {
  const filter: ProductFilter = {};
  if (withQuery && q.get('q')) filter.query = q.get('q')!;
  if (q.get('category')) filter.categoryId = q.get('category')!;
  if (q.get('min')) filter.minPrice = q.get('min')!;
  if (q.get('max')) filter.maxPrice = q.get('max')!;
  if (q.get('stock') === '1') filter.inStock = true;
  const brands = q.getAll('brand');
  if (brands.length) filter.brands = brands;
  const attrs = new Map<string, AttributeFilter>();
  const attr = (name: string) => attrs.get(name) ?? attrs.set(name, { name }).get(name)!;
  for (const a of q.getAll('a')) {
    const i = a.indexOf(':');
    if (i <= 0) continue;
    const f = attr(a.slice(0, i));
    f.values = [...(f.values ?? []), a.slice(i + 1)];
  }
  for (const r of q.getAll('r')) {
    const [name, min, max] = r.split(':');
    if (!name) continue;
    const f = attr(name);
    if (min && Number.isFinite(Number(min))) f.min = Number(min);
    if (max && Number.isFinite(Number(max))) f.max = Number(max);
  }
  if (attrs.size) filter.attributes = [...attrs.values()].slice(0, 10);
  const sortValue = q.get('sort') ?? (filter.query ? 'relevance' : 'best');
  return { filter, sort: sorts.find((s) => s.value === sortValue)?.sort, after: q.get('after') ?? undefined, sortValue };
}

export function CategoryPage({ slug, query }: { slug: string; query: URLSearchParams }) {
  const p = readParams(query, false);
  const [{ data, fetching, error }] = useQuery({
    query: CategoryListingDoc,
    variables: { slug, filter: p.filter, sort: p.sort, first: PAGE, after: p.after },
  });
  if (fetching && !data) return <Loading />;
  if (!data) return <FormError error={error} />;
  const c = data.category;
  if (!c) return <h1>No such category</h1>;
  return (
    <>
      <p class="breadcrumbs">
        <a href="/">Home</a>
        {c.parent && (
          <>
            {' / '}
            <a href={`/c/${encodeURIComponent(c.parent.slug)}`}>{c.parent.name}</a>
          </>
        )}
      </p>
      <h1>{c.name}</h1>
      <Results
        query={query}
        params={p}
        menu={data.categories}
        currentCategory={c.id}
        conn={c.products}
        fetching={fetching}
        onCategory={(s) => navigate(`/c/${encodeURIComponent(s)}?${keep(query)}`)}
      />
    </>
  );
}

export function SearchPage({ query }: { query: URLSearchParams }) {
  const p = readParams(query, true);
  const { track } = useShop();
  const [{ data, fetching, error }] = useQuery({
    query: SearchDoc,
    variables: { filter: p.filter, sort: p.sort, first: PAGE, after: p.after },
  });
  useEffect(() => {
    if (p.filter.query) track('SEARCHED', { query: p.filter.query });
  }, [p.filter.query]);
  if (fetching && !data) return <Loading />;
  if (!data) return <FormError error={error} />;
  return (
    <>
      <h1>{p.filter.query ? `Results for “${p.filter.query}”` : 'All products'}</h1>
      <Results
        query={query}
        params={p}
        menu={data.categories}
        currentCategory={p.filter.categoryId ?? ''}
        conn={data.products}
        fetching={fetching}
        onCategory={(_slug, id) => setParam(query, 'category', id)}
      />
    </>
  );
}

/** keep returns the listing's parameters without the page cursor. */
function keep(q: URLSearchParams): string {
  const n = new URLSearchParams(q);
  n.delete('after');
  return n.toString();
}

/** toggleParam adds or removes one value of a repeated parameter. */
function toggleParam(q: URLSearchParams, key: string, value: string, on: boolean) {
  const n = new URLSearchParams(q);
  n.delete('after');
  const rest = n.getAll(key).filter((v) => v !== value);
  n.delete(key);
  for (const v of on ? [...rest, value] : rest) n.append(key, v);
  navigate(`${location.pathname}?${n}`);
}

function setParam(q: URLSearchParams, key: string, value: string | null) {
  const n = new URLSearchParams(q);
  n.delete('after');
  if (value) n.set(key, value);
  else n.delete(key);
  navigate(`${location.pathname}?${n}`);
}

interface MenuCategory {
  id: string;
  slug: string;
  name: string;
  children?: readonly MenuCategory[];
}

interface Conn {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  nodes: Parameters<typeof ProductGrid>[0]['products'];
  facets: readonly ListingFacetFragment[];
}

function Results(props: {
  query: URLSearchParams;
  params: ListingParams;
  menu: readonly MenuCategory[];
  currentCategory: string;
  conn: Conn;
  fetching: boolean;
  onCategory: (slug: string, id: string) => void;
}) {
  const { query, params, conn } = props;
  const flat: { c: MenuCategory; depth: number }[] = [];
  const walk = (cs: readonly MenuCategory[] | undefined, depth: number) =>
    cs?.forEach((c) => {
      flat.push({ c, depth });
      walk(c.children, depth + 1);
    });
  walk(props.menu, 0);
  const next = new URLSearchParams(query);
  if (conn.pageInfo.endCursor) next.set('after', conn.pageInfo.endCursor);
  return (
    <div class="layout-list">
      {/* On a phone the filters start folded, so that the products show first. */}
      <details class="filters" open={matchMedia('(min-width: 44rem)').matches}>
        <summary>Filters</summary>
        <form
          aria-label="Filters"
          onSubmit={(e) => {
            e.preventDefault();
            const f = new FormData(e.currentTarget);
            const n = new URLSearchParams(query);
            n.delete('after');
            for (const k of ['min', 'max']) {
              const v = String(f.get(k) ?? '').trim();
              if (v) n.set(k, v);
              else n.delete(k);
            }
            n.delete('r');
            for (const facet of conn.facets) {
              if (facet.type !== 'NUMBER') continue;
              const lo = String(f.get(`rmin:${facet.name}`) ?? '').trim();
              const hi = String(f.get(`rmax:${facet.name}`) ?? '').trim();
              if (lo || hi) n.append('r', `${facet.name}:${lo}:${hi}`);
            }
            navigate(`${location.pathname}?${n}`);
          }}
        >
          <div class="field">
            <label for="f-category">Category</label>
            <select
              id="f-category"
              value={props.currentCategory}
              onChange={(e) => {
                const id = e.currentTarget.value;
                const hit = flat.find((x) => x.c.id === id);
                if (hit) props.onCategory(hit.c.slug, id);
                else setParam(query, 'category', null);
              }}
            >
              <option value="">All categories</option>
              {flat.map(({ c, depth }) => (
                <option key={c.id} value={c.id}>
                  {'\u00a0\u00a0'.repeat(depth) + c.name}
                </option>
              ))}
            </select>
          </div>
          <fieldset>
            <legend>Price</legend>
            <div class="row">
              <div class="field">
                <label for="f-min">Min</label>
                <input id="f-min" name="min" inputMode="decimal" defaultValue={query.get('min') ?? ''} size={6} />
              </div>
              <div class="field">
                <label for="f-max">Max</label>
                <input id="f-max" name="max" inputMode="decimal" defaultValue={query.get('max') ?? ''} size={6} />
              </div>
            </div>
            <button type="submit" class="secondary">
              Apply price
            </button>
          </fieldset>
          {conn.facets.map((f) => (
            <Facet key={`${f.kind}:${f.name}`} facet={f} query={query} filter={params.filter} />
          ))}
          {conn.facets.some((f) => f.type === 'NUMBER') && (
            <button type="submit" class="secondary">
              Apply ranges
            </button>
          )}
          <div class="check">
            <input
              type="checkbox"
              id="f-stock"
              checked={params.filter.inStock === true}
              onChange={(e) => setParam(query, 'stock', e.currentTarget.checked ? '1' : null)}
            />
            <label for="f-stock">In stock only</label>
          </div>
          <div class="field">
            <label for="f-sort">Sort by</label>
            <select id="f-sort" value={params.sortValue} onChange={(e) => setParam(query, 'sort', e.currentTarget.value)}>
              {sorts.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          </div>
        </form>
      </details>
      <section aria-live="polite" aria-busy={props.fetching}>
        <p class="muted" data-total={conn.totalCount}>
          {conn.totalCount} {conn.totalCount === 1 ? 'product' : 'products'}
        </p>
        <ProductGrid products={conn.nodes} label="Products" />
        <div class="pager">
          {params.after && (
            <button type="button" class="secondary" onClick={() => history.back()}>
              Previous page
            </button>
          )}
          {conn.pageInfo.hasNextPage && <a href={`${location.pathname}?${next}`}>Next page</a>}
        </div>
      </section>
    </div>
  );
}

/** Facet is one fieldset of the filters: checkboxes with counts, or a range for numbers. */
function Facet({ facet, query, filter }: { facet: ListingFacetFragment; query: URLSearchParams; filter: ProductFilter }) {
  const id = `facet-${facet.kind}-${facet.name}`.replace(/[^A-Za-z0-9_-]+/g, '-');
  if (facet.kind === 'ATTRIBUTE' && facet.type === 'NUMBER') {
    const cur = filter.attributes?.find((a) => a.name === facet.name);
    return (
      <fieldset class="facet" data-facet={facet.name}>
        <legend>{facet.name}</legend>
        <div class="row">
          <div class="field">
            <label for={`${id}-min`}>From</label>
            <input
              id={`${id}-min`}
              name={`rmin:${facet.name}`}
              inputMode="decimal"
              size={5}
              placeholder={facet.min == null ? '' : String(facet.min)}
              defaultValue={cur?.min == null ? '' : String(cur.min)}
            />
          </div>
          <div class="field">
            <label for={`${id}-max`}>To</label>
            <input
              id={`${id}-max`}
              name={`rmax:${facet.name}`}
              inputMode="decimal"
              size={5}
              placeholder={facet.max == null ? '' : String(facet.max)}
              defaultValue={cur?.max == null ? '' : String(cur.max)}
            />
          </div>
        </div>
      </fieldset>
    );
  }
  if (!facet.values.length) return null;
  const brand = facet.kind === 'BRAND';
  const chosen = new Set(brand ? filter.brands ?? [] : filter.attributes?.find((a) => a.name === facet.name)?.values ?? []);
  return (
    <fieldset class="facet" data-facet={brand ? 'brand' : facet.name}>
      <legend>{facet.name}</legend>
      <ul>
        {facet.values.map((v, i) => {
          const vid = `${id}-${i}`;
          const label = facet.type === 'BOOLEAN' ? (v.value === 'true' ? 'Yes' : 'No') : v.label;
          return (
            <li key={v.value}>
              <input
                type="checkbox"
                id={vid}
                data-facet-value={v.value}
                checked={chosen.has(v.value)}
                onChange={(e) =>
                  brand
                    ? toggleParam(query, 'brand', v.value, e.currentTarget.checked)
                    : toggleParam(query, 'a', `${facet.name}:${v.value}`, e.currentTarget.checked)
                }
              />
              <label for={vid}>{label}</label>
              <span class="count" aria-label={`${v.count} products`}>
                {v.count}
              </span>
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}
