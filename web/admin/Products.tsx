// Catalog editing: find a product, change it, adjust its stock, or add one. Every user
// error appears next to the field it names.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { graphql } from './gql';
import { useAdmin } from './admin';
import { money } from '../shared/format';
import { navigate } from '../shared/router';
import { Field, FormError, Loading, Select, fieldErrors, formValues, type FieldErrors } from '../shared/ui';

const ProductListDoc = graphql(`
  query AdminProducts($query: String, $after: String) {
    products(first: 25, after: $after, filter: { query: $query }, sort: { key: ID, reverse: true }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id slug name price { amount currencyCode } availableQuantity category { id name } }
    }
    lowStockProducts(threshold: 5, first: 10) {
      nodes { id name availableQuantity }
    }
  }
`);

const ProductEditDoc = graphql(`
  query AdminProduct($id: ID!) {
    product(id: $id) {
      id
      slug
      name
      description
      price { amount currencyCode }
      availableQuantity
      category { id }
    }
    categories { ...AdminCategoryOptions }
  }
`);

const CategoriesDoc = graphql(`
  query AdminCategories {
    categories { ...AdminCategoryOptions }
  }
`);

const CategoryOptionsFields = graphql(`
  fragment AdminCategoryOptions on Category {
    id
    name
    children { id name children { id name } }
  }
`);
void CategoryOptionsFields;

const ProductFieldsDoc = graphql(`
  fragment AdminProductPayload on ProductPayload {
    product { id slug name description price { amount currencyCode } availableQuantity category { id } }
    userErrors { field message code }
  }
`);
void ProductFieldsDoc;

const UpdateDoc = graphql(`
  mutation AdminProductUpdate($id: ID!, $input: ProductUpdateInput!) {
    productUpdate(id: $id, input: $input) { ...AdminProductPayload }
  }
`);

const CreateDoc = graphql(`
  mutation AdminProductCreate($input: ProductCreateInput!) {
    productCreate(input: $input) { ...AdminProductPayload }
  }
`);

const AdjustDoc = graphql(`
  mutation AdminInventoryAdjust($productId: ID!, $delta: Int!, $reason: String!) {
    inventoryAdjust(productId: $productId, delta: $delta, reason: $reason) { ...AdminProductPayload }
  }
`);

export function ProductList({ query }: { query: URLSearchParams }) {
  const q = query.get('q') ?? '';
  const [{ data, fetching, error }] = useQuery({ query: ProductListDoc, variables: { query: q || null, after: query.get('after') } });
  return (
    <>
      <div class="row">
        <h1>Products</h1>
        <a class="button" href="/admin/products/new" style="margin-left: auto">
          Add a product
        </a>
      </div>
      <form
        class="row"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          const v = formValues(e);
          navigate(`/admin/products?${new URLSearchParams(v.q ? { q: v.q } : {})}`);
        }}
      >
        <Field label="Search products" name="q" type="search" defaultValue={q} />
        <div class="field" style="flex: 0 0 auto">
          <button type="submit">Search</button>
        </div>
      </form>
      {fetching && !data && <Loading />}
      <FormError error={data ? null : error} />
      {data && (
        <>
          {data.lowStockProducts.nodes.length > 0 && (
            <p class="notice" style="color: var(--warn); border-color: var(--warn); background: #fff8ee">
              Low stock:{' '}
              {data.lowStockProducts.nodes.map((p, i) => (
                <>
                  {i > 0 && ', '}
                  <a href={`/admin/products/${encodeURIComponent(p.id)}`}>{p.name}</a> ({p.availableQuantity})
                </>
              ))}
            </p>
          )}
          <p class="muted">{data.products.totalCount} products</p>
          <table class="responsive" aria-label="Products">
            <thead>
              <tr>
                <th>Name</th>
                <th>Category</th>
                <th class="num">Price</th>
                <th class="num">Stock</th>
              </tr>
            </thead>
            <tbody>
              {data.products.nodes.map((p) => (
                <tr key={p.id} data-product={p.slug}>
                  <td data-label="Name">
                    <a href={`/admin/products/${encodeURIComponent(p.id)}`}>{p.name}</a>
                  </td>
                  <td data-label="Category">{p.category.name}</td>
                  <td data-label="Price" class="num">{money(p.price)}</td>
                  <td data-label="Stock" class="num">{p.availableQuantity}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.products.pageInfo.hasNextPage && data.products.pageInfo.endCursor && (
            <p class="pager">
              <a href={`/admin/products?${new URLSearchParams({ ...(q ? { q } : {}), after: data.products.pageInfo.endCursor })}`}>Next page</a>
            </p>
          )}
        </>
      )}
    </>
  );
}

interface CategoryOption {
  id: string;
  name: string;
  children?: readonly CategoryOption[];
}

function categoryOptions(cs: readonly CategoryOption[], selected: string, depth = 0): JSX.Element[] {
  return cs.flatMap((c) => [
    <option key={c.id} value={c.id} selected={c.id === selected}>
      {'\u00a0\u00a0'.repeat(depth) + c.name}
    </option>,
    ...categoryOptions(c.children ?? [], selected, depth + 1),
  ]);
}

export function ProductEdit({ id }: { id: string }) {
  const admin = useAdmin();
  const [{ data, fetching, error }] = useQuery({ query: ProductEditDoc, variables: { id } });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [stockErrors, setStockErrors] = useState<FieldErrors>({});
  const [saved, setSaved] = useState('');
  const [stock, setStock] = useState<number | null>(null);
  if (fetching && !data) return <Loading />;
  if (!data) return <FormError error={error} />;
  const p = data.product;
  if (!p) return <h1>No such product</h1>;
  return (
    <>
      <p class="breadcrumbs">
        <a href="/admin/products">Products</a>
      </p>
      <h1>{p.name}</h1>
      {saved && (
        <p class="notice" role="status">
          {saved}
        </p>
      )}
      <form
        class="narrow"
        noValidate
        aria-label="Product details"
        onSubmit={async (e) => {
          e.preventDefault();
          const v = formValues(e);
          const r = await admin.client
            .mutation(UpdateDoc, {
              id: p.id,
              input: { name: v.name, slug: v.slug, description: v.description, price: v.price, categoryId: v.categoryId },
            })
            .toPromise();
          const payload = r.data?.productUpdate;
          setErrors(payload ? fieldErrors(payload.userErrors) : { '': r.error?.message ?? 'Saving failed.' });
          setSaved(payload?.product ? 'Saved.' : '');
        }}
      >
        <FormError message={errors['']} />
        <Field label="Name" name="name" defaultValue={p.name} error={errors.name} />
        <Field label="URL handle" name="slug" defaultValue={p.slug} error={errors.slug} />
        <div class="field">
          <label for="f-description">Description</label>
          <textarea id="f-description" name="description" rows={4} defaultValue={p.description} />
          {errors.description && <p class="field-error" role="alert">{errors.description}</p>}
        </div>
        <Field label={`Price (${p.price.currencyCode})`} name="price" inputMode="decimal" defaultValue={p.price.amount} error={errors.price} />
        <Select label="Category" name="categoryId" error={errors.categoryId}>
          {categoryOptions(data.categories, p.category.id)}
        </Select>
        <button type="submit">Save</button>
      </form>
      <h2>Stock</h2>
      <p>
        Available: <strong data-stock>{stock ?? p.availableQuantity}</strong>
      </p>
      <form
        class="row"
        noValidate
        aria-label="Adjust stock"
        onSubmit={async (e) => {
          e.preventDefault();
          const v = formValues(e);
          const delta = Number(v.delta);
          if (!Number.isInteger(delta)) {
            setStockErrors({ delta: 'Enter a whole number, such as 10 or -3.' });
            return;
          }
          const r = await admin.client.mutation(AdjustDoc, { productId: p.id, delta, reason: v.reason }).toPromise();
          const payload = r.data?.inventoryAdjust;
          setStockErrors(payload ? fieldErrors(payload.userErrors) : { '': r.error?.message ?? 'The adjustment failed.' });
          if (payload?.product) {
            setStock(payload.product.availableQuantity);
            setSaved(`Stock is now ${payload.product.availableQuantity}.`);
            (e.currentTarget as HTMLFormElement).reset();
          }
        }}
      >
        <Field label="Change (+ or −)" name="delta" inputMode="numeric" error={stockErrors.delta} />
        <Field label="Reason" name="reason" error={stockErrors.reason} />
        <div class="field" style="flex: 0 0 auto">
          <button type="submit">Adjust stock</button>
        </div>
      </form>
      <FormError message={stockErrors['']} />
    </>
  );
}

export function ProductCreate() {
  const admin = useAdmin();
  const [{ data }] = useQuery({ query: CategoriesDoc });
  const [errors, setErrors] = useState<FieldErrors>({});
  return (
    <>
      <p class="breadcrumbs">
        <a href="/admin/products">Products</a>
      </p>
      <h1>Add a product</h1>
      <form
        class="narrow"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const v = formValues(e);
          const stock = v.stock.trim() === '' ? null : Number(v.stock);
          const r = await admin.client
            .mutation(CreateDoc, {
              input: { name: v.name, slug: v.slug || null, description: v.description, price: v.price, categoryId: v.categoryId, stock },
            })
            .toPromise();
          const payload = r.data?.productCreate;
          if (payload?.product) {
            navigate(`/admin/products/${encodeURIComponent(payload.product.id)}`);
            return;
          }
          setErrors(payload ? fieldErrors(payload.userErrors) : { '': r.error?.message ?? 'Saving failed.' });
        }}
      >
        <FormError message={errors['']} />
        <Field label="Name" name="name" error={errors.name} />
        <Field label="URL handle (optional)" name="slug" error={errors.slug} />
        <div class="field">
          <label for="f-description">Description</label>
          <textarea id="f-description" name="description" rows={4} />
          {errors.description && <p class="field-error" role="alert">{errors.description}</p>}
        </div>
        <Field label="Price" name="price" inputMode="decimal" error={errors.price} />
        <Select label="Category" name="categoryId" error={errors.categoryId}>
          {data ? categoryOptions(data.categories, '') : []}
        </Select>
        <Field label="Initial stock" name="stock" inputMode="numeric" error={errors.stock} />
        <button type="submit">Add product</button>
      </form>
    </>
  );
}
