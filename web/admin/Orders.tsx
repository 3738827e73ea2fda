// Orders: the list with filters, and each order with its history and the status changes
// an admin makes (ship, deliver, cancel, refund), errors shown by the field they name.
import { useState } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { graphql } from './gql';
import type { OrderStatus } from './gql/graphql';
import { useAdmin } from './admin';
import { dateTime, money, statusLabel } from '../shared/format';
import { navigate } from '../shared/router';
import { Field, FormError, Loading, Select, fieldErrors, formValues, type FieldErrors } from '../shared/ui';

const statuses: OrderStatus[] = ['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'RETURNED'];

const OrderListDoc = graphql(`
  query AdminOrders($filter: OrderFilter, $after: String) {
    orders(first: 25, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id number status email createdAt total { amount currencyCode } }
    }
  }
`);

const OrderFields = graphql(`
  fragment AdminOrder on Order {
    id
    number
    status
    email
    createdAt
    paymentMethod
    total { amount currencyCode }
    refundedAmount { amount currencyCode }
    customer { id name email }
    shipment { carrier trackingNumber }
    shippingAddress { name line1 line2 city region postalCode country phone }
    lines { name quantity unitPrice { amount currencyCode } total { amount currencyCode } product { id } }
    statusHistory { sequence status previousStatus at note shipment { carrier trackingNumber } }
  }
`);
void OrderFields;

const OrderDoc = graphql(`
  query AdminOrder($id: ID!) {
    order(id: $id) { ...AdminOrder }
  }
`);

const ShipDoc = graphql(`
  mutation AdminOrderShip($orderId: ID!, $carrier: String!, $trackingNumber: String!) {
    orderShip(orderId: $orderId, carrier: $carrier, trackingNumber: $trackingNumber) {
      order { ...AdminOrder }
      userErrors { field message code }
    }
  }
`);

const DeliverDoc = graphql(`
  mutation AdminOrderDeliver($orderId: ID!) {
    orderDeliver(orderId: $orderId) {
      order { ...AdminOrder }
      userErrors { field message code }
    }
  }
`);

const CancelDoc = graphql(`
  mutation AdminOrderCancel($orderId: ID!, $reason: String!) {
    orderCancel(orderId: $orderId, reason: $reason) {
      order { ...AdminOrder }
      userErrors { field message code }
    }
  }
`);

const ReturnDoc = graphql(`
  mutation AdminOrderReturn($orderId: ID!, $reason: String!, $refundAmount: Decimal) {
    orderReturn(orderId: $orderId, reason: $reason, refundAmount: $refundAmount) {
      order { ...AdminOrder }
      userErrors { field message code }
    }
  }
`);

export function OrderList({ query }: { query: URLSearchParams }) {
  const status = (query.get('status') as OrderStatus | null) || null;
  const email = query.get('email') || null;
  const [{ data, fetching, error }] = useQuery({
    query: OrderListDoc,
    variables: { filter: { status, customerEmail: email }, after: query.get('after') },
  });
  return (
    <>
      <h1>Orders</h1>
      <form
        class="row"
        aria-label="Filter orders"
        onSubmit={(e) => {
          e.preventDefault();
          const v = formValues(e);
          const n = new URLSearchParams();
          if (v.status) n.set('status', v.status);
          if (v.email) n.set('email', v.email);
          navigate(`/admin/orders?${n}`);
        }}
      >
        <Select label="Status" name="status">
          <option value="">Any</option>
          {statuses.map((s) => (
            <option key={s} value={s} selected={s === status}>
              {statusLabel(s)}
            </option>
          ))}
        </Select>
        <Field label="Customer email" name="email" type="email" defaultValue={email ?? ''} />
        <div class="field" style="flex: 0 0 auto">
          <button type="submit">Filter</button>
        </div>
      </form>
      {fetching && !data && <Loading />}
      <FormError error={data ? null : error} />
      {data && (
        <>
          <p class="muted">{data.orders.totalCount} orders</p>
          <table class="responsive" aria-label="Orders">
            <thead>
              <tr>
                <th>Order</th>
                <th>Placed</th>
                <th>Customer</th>
                <th>Status</th>
                <th class="num">Total</th>
              </tr>
            </thead>
            <tbody>
              {data.orders.nodes.map((o) => (
                <tr key={o.id} data-order={o.number}>
                  <td data-label="Order">
                    <a href={`/admin/orders/${encodeURIComponent(o.id)}`}>{o.number}</a>
                  </td>
                  <td data-label="Placed">{dateTime(o.createdAt)}</td>
                  <td data-label="Customer">{o.email}</td>
                  <td data-label="Status">
                    <span class={`status status-${o.status}`}>{statusLabel(o.status)}</span>
                  </td>
                  <td data-label="Total" class="num">{money(o.total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.orders.pageInfo.hasNextPage && data.orders.pageInfo.endCursor && (
            <p class="pager">
              <a href={`/admin/orders?${new URLSearchParams({ ...Object.fromEntries(query), after: data.orders.pageInfo.endCursor })}`}>Older orders</a>
            </p>
          )}
        </>
      )}
    </>
  );
}

type Action = 'ship' | 'deliver' | 'cancel' | 'refund';

export function OrderDetail({ id }: { id: string }) {
  const admin = useAdmin();
  const [{ data, fetching, error }] = useQuery({ query: OrderDoc, variables: { id } });
  const [override, setOverride] = useState<NonNullable<NonNullable<typeof data>['order']> | null>(null);
  const [errors, setErrors] = useState<Partial<Record<Action, FieldErrors>>>({});
  const [done, setDone] = useState('');
  if (fetching && !data) return <Loading />;
  if (!data) return <FormError error={error} />;
  const o = override ?? data.order;
  if (!o) return <h1>No such order</h1>;

  const run = async (action: Action, exec: () => Promise<any>) => {
    const r = await exec();
    const p = r.data && (Object.values(r.data)[0] as { order: typeof o | null; userErrors: any[] } | undefined);
    if (p?.order) {
      setOverride(p.order);
      setErrors({});
      setDone(`Order ${p.order.number} is now ${statusLabel(p.order.status).toLowerCase()}.`);
    } else {
      setDone('');
      setErrors({ [action]: p ? fieldErrors(p.userErrors) : { '': r.error?.message ?? 'That did not work.' } });
    }
  };
  const e = (a: Action) => errors[a] ?? {};

  return (
    <>
      <p class="breadcrumbs">
        <a href="/admin/orders">Orders</a>
      </p>
      <h1>
        Order {o.number} <span class={`status status-${o.status}`} data-order-status={o.status}>{statusLabel(o.status)}</span>
      </h1>
      {done && (
        <p class="notice" role="status">
          {done}
        </p>
      )}
      <p>
        {o.customer ? `${o.customer.name} <${o.customer.email}>` : `Guest <${o.email}>`}, placed {dateTime(o.createdAt)}, paid by{' '}
        {o.paymentMethod}, total {money(o.total)}
        {o.refundedAmount && `, refunded ${money(o.refundedAmount)}`}.
      </p>
      {o.shipment && (
        <p>
          Shipped with {o.shipment.carrier}, tracking number {o.shipment.trackingNumber}.
        </p>
      )}
      <div class="charts">
        {o.status === 'PAID' && (
          <form
            class="chart"
            aria-label="Ship"
            noValidate
            onSubmit={(ev) => {
              ev.preventDefault();
              const v = formValues(ev);
              void run('ship', () => admin.client.mutation(ShipDoc, { orderId: o.id, carrier: v.carrier, trackingNumber: v.trackingNumber }).toPromise());
            }}
          >
            <h2>Ship</h2>
            <FormError message={e('ship')['']} />
            <Field label="Carrier" name="carrier" error={e('ship').carrier} />
            <Field label="Tracking number" name="trackingNumber" error={e('ship').trackingNumber} />
            <button type="submit">Mark as shipped</button>
          </form>
        )}
        {o.status === 'SHIPPED' && (
          <form
            class="chart"
            aria-label="Deliver"
            onSubmit={(ev) => {
              ev.preventDefault();
              void run('deliver', () => admin.client.mutation(DeliverDoc, { orderId: o.id }).toPromise());
            }}
          >
            <h2>Delivery</h2>
            <FormError message={e('deliver')['']} />
            <button type="submit">Mark as delivered</button>
          </form>
        )}
        {(o.status === 'PENDING' || o.status === 'PAID') && (
          <form
            class="chart"
            aria-label="Cancel"
            noValidate
            onSubmit={(ev) => {
              ev.preventDefault();
              const v = formValues(ev);
              void run('cancel', () => admin.client.mutation(CancelDoc, { orderId: o.id, reason: v.reason }).toPromise());
            }}
          >
            <h2>Cancel</h2>
            <FormError message={e('cancel')['']} />
            <Field label="Reason" name="reason" error={e('cancel').reason} />
            <button type="submit" class="danger">
              Cancel order
            </button>
          </form>
        )}
        {o.status === 'DELIVERED' && (
          <form
            class="chart"
            aria-label="Refund"
            noValidate
            onSubmit={(ev) => {
              ev.preventDefault();
              const v = formValues(ev);
              void run('refund', () =>
                admin.client.mutation(ReturnDoc, { orderId: o.id, reason: v.reason, refundAmount: v.refundAmount || null }).toPromise(),
              );
            }}
          >
            <h2>Return and refund</h2>
            <FormError message={e('refund')['']} />
            <Field label="Reason" name="reason" error={e('refund').reason} />
            <Field label={`Refund (empty: all of ${money(o.total)})`} name="refundAmount" inputMode="decimal" error={e('refund').refundAmount} />
            <button type="submit" class="danger">
              Refund
            </button>
          </form>
        )}
      </div>
      <h2>History</h2>
      <ol class="timeline" aria-label="History">
        {o.statusHistory.map((s) => (
          <li key={s.sequence} data-status={s.status}>
            <strong>{statusLabel(s.status)}</strong> <span class="muted">{dateTime(s.at)}</span>
            {s.note && <div>{s.note}</div>}
            {s.shipment && (
              <div>
                {s.shipment.carrier} {s.shipment.trackingNumber}
              </div>
            )}
          </li>
        ))}
      </ol>
      <h2>Items</h2>
      <table class="responsive">
        <thead>
          <tr>
            <th>Product</th>
            <th class="num">Quantity</th>
            <th class="num">Price</th>
            <th class="num">Total</th>
          </tr>
        </thead>
        <tbody>
          {o.lines.map((l) => (
            <tr key={l.product.id}>
              <td data-label="Product">
                <a href={`/admin/products/${encodeURIComponent(l.product.id)}`}>{l.name}</a>
              </td>
              <td data-label="Quantity" class="num">{l.quantity}</td>
              <td data-label="Price" class="num">{money(l.unitPrice)}</td>
              <td data-label="Total" class="num">{money(l.total)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Ship to</h2>
      <address>
        {o.shippingAddress.name}, {o.shippingAddress.line1}
        {o.shippingAddress.line2 && `, ${o.shippingAddress.line2}`}, {o.shippingAddress.postalCode} {o.shippingAddress.city}{' '}
        {o.shippingAddress.region} {o.shippingAddress.country} {o.shippingAddress.phone}
      </address>
    </>
  );
}
