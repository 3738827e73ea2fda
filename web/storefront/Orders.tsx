// The signed-in customer's orders, newest first.
import { useQuery } from '@urql/preact';
import { graphql } from './gql';
import { useShop } from './shop';
import { dateTime, money, statusLabel } from '../shared/format';
import { FormError, Loading } from '../shared/ui';

const MyOrdersDoc = graphql(`
  query MyOrders($after: String) {
    me {
      id
      orders(first: 20, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { id number status createdAt total { amount currencyCode } }
      }
    }
  }
`);

export function OrdersPage({ query }: { query: URLSearchParams }) {
  const shop = useShop();
  const [{ data, fetching, error }] = useQuery({ query: MyOrdersDoc, variables: { after: query.get('after') }, pause: !shop.user });
  if (!shop.user)
    return (
      <p>
        <a href="/signin?next=/orders">Sign in</a> to see your orders.
      </p>
    );
  if (fetching && !data) return <Loading />;
  if (!data?.me) return <FormError error={error} />;
  const orders = data.me.orders;
  return (
    <>
      <h1>Your orders</h1>
      {orders.nodes.length === 0 ? (
        <p>No orders yet.</p>
      ) : (
        <table class="responsive" aria-label="Orders">
          <thead>
            <tr>
              <th>Order</th>
              <th>Placed</th>
              <th>Status</th>
              <th class="num">Total</th>
            </tr>
          </thead>
          <tbody>
            {orders.nodes.map((o) => (
              <tr key={o.id} data-order={o.number}>
                <td data-label="Order">
                  <a href={`/orders/${encodeURIComponent(o.id)}`}>{o.number}</a>
                </td>
                <td data-label="Placed">{dateTime(o.createdAt)}</td>
                <td data-label="Status">
                  <span class={`status status-${o.status}`}>{statusLabel(o.status)}</span>
                </td>
                <td data-label="Total" class="num">
                  {money(o.total)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {orders.pageInfo.hasNextPage && orders.pageInfo.endCursor && (
        <p class="pager">
          <a href={`/orders?after=${encodeURIComponent(orders.pageInfo.endCursor)}`}>Older orders</a>
        </p>
      )}
    </>
  );
}
