// An order and its live status. The page reads the order and its history in one
// request, then subscribes to orderStatusChanged after the last step it has. When the
// connection drops it subscribes again after the last step it saw, so no step is lost
// and none shown twice; where WebSockets are blocked the client uses Server-Sent Events.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { onEnd, pipe, subscribe } from 'wonka';
import { graphql } from './gql';
import type { OrderStatus, OrderStepFragment } from './gql/graphql';
import { useShop } from './shop';
import { dateTime, money, statusLabel } from '../shared/format';
import { FormError, LineItem, Loading } from '../shared/ui';

const StepFields = graphql(`
  fragment OrderStep on OrderStatusEvent {
    sequence
    status
    previousStatus
    at
    note
    shipment { carrier trackingNumber }
  }
`);
void StepFields;

const OrderPageDoc = graphql(`
  query OrderPage($id: ID!) {
    order(id: $id) {
      id
      number
      status
      createdAt
      email
      paymentMethod
      subtotal { amount currencyCode }
      total { amount currencyCode }
      refundedAmount { amount currencyCode }
      shippingAddress { name line1 line2 city region postalCode country }
      lines {
        name
        variantTitle
        quantity
        unitPrice { amount currencyCode }
        total { amount currencyCode }
        product { id slug featuredImage { id url(width: 96) altText } }
        variant { id image { id url(width: 96) altText } }
      }
      statusHistory { ...OrderStep }
    }
  }
`);

const OrderLiveDoc = graphql(`
  subscription OrderLive($orderId: ID!, $afterSequence: Int) {
    orderStatusChanged(orderId: $orderId, afterSequence: $afterSequence) { ...OrderStep }
  }
`);

const terminal: OrderStatus[] = ['DELIVERED', 'CANCELLED', 'RETURNED'];

export function OrderPage({ id }: { id: string }) {
  const [{ data, fetching, error }] = useQuery({ query: OrderPageDoc, variables: { id } });
  if (fetching && !data) return <Loading />;
  if (!data) return <FormError error={error} />;
  const o = data.order;
  if (!o) return <h1>No such order</h1>;
  return (
    <>
      <h1>Order {o.number}</h1>
      <LiveStatus orderId={o.id} initial={o.statusHistory} />
      <h2>Items</h2>
      <table class="responsive" aria-label="Items">
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
            <tr key={l.variant.id} data-line={l.product.slug} data-variant-title={l.variantTitle}>
              <td data-label="Product">
                <LineItem
                  href={`/p/${encodeURIComponent(l.product.slug)}?variant=${encodeURIComponent(l.variant.id)}`}
                  name={l.name}
                  variantTitle={l.variantTitle}
                  image={l.variant.image ?? l.product.featuredImage}
                />
              </td>
              <td data-label="Quantity" class="num">
                {l.quantity}
              </td>
              <td data-label="Price" class="num">
                {money(l.unitPrice)}
              </td>
              <td data-label="Total" class="num">
                {money(l.total)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="price">Total {money(o.total)}</p>
      {o.refundedAmount && <p>Refunded {money(o.refundedAmount)}</p>}
      <h2>Shipping to</h2>
      <address>
        {o.shippingAddress.name}
        <br />
        {o.shippingAddress.line1}
        {o.shippingAddress.line2 && (
          <>
            <br />
            {o.shippingAddress.line2}
          </>
        )}
        <br />
        {o.shippingAddress.postalCode} {o.shippingAddress.city} {o.shippingAddress.region} {o.shippingAddress.country}
      </address>
      <p class="muted">
        Placed {dateTime(o.createdAt)}, paid by {o.paymentMethod.toLowerCase()}; confirmations to {o.email}.
      </p>
    </>
  );
}

type LinkState = 'connecting' | 'live' | 'reconnecting' | 'done';

function LiveStatus({ orderId, initial }: { orderId: string; initial: readonly OrderStepFragment[] }) {
  const shop = useShop();
  const [steps, setSteps] = useState<OrderStepFragment[]>(() => [...initial].sort((a, b) => a.sequence - b.sequence));
  const [link, setLink] = useState<LinkState>('connecting');
  const last = useRef(steps.length ? steps[steps.length - 1].sequence : 0);

  useEffect(() => {
    const current = steps[steps.length - 1];
    if (current && terminal.includes(current.status)) {
      setLink('done');
      return;
    }
    let stopped = false;
    let failures = 0;
    let timer: number | undefined;
    let unsubscribe = () => {};
    const connect = () => {
      let failed = false;
      let finished = false;
      setLink(failures ? 'reconnecting' : 'connecting');
      const onOpen = () => {
        if (stopped || failed || finished) return;
        failures = 0;
        setLink('live');
      };
      ({ unsubscribe } = pipe(
        shop.client.subscription(OrderLiveDoc, { orderId, afterSequence: last.current }, { onOpen }),
        onEnd(() => {
          if (stopped || finished) return;
          retry(); // the server ended the stream early (a restart or a drain)
        }),
        subscribe((r) => {
          if (r.error) {
            if (!failed) {
              failed = true;
              retry();
            }
            return;
          }
          const step = r.data?.orderStatusChanged;
          if (!step) return;
          failures = 0;
          setLink('live');
          if (step.sequence <= last.current) return; // seen already
          last.current = step.sequence;
          setSteps((s) => [...s, step]);
          if (terminal.includes(step.status)) {
            finished = true;
            setLink('done');
          }
        }),
      ));
    };
    const retry = () => {
      if (stopped) return;
      unsubscribe();
      failures++;
      setLink('reconnecting');
      const delay = Math.min(10_000, 500 * 2 ** Math.min(failures - 1, 5));
      timer = window.setTimeout(connect, delay);
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      unsubscribe();
    };
  }, [orderId]);

  const current = steps[steps.length - 1];
  const shipped = [...steps].reverse().find((s) => s.shipment)?.shipment;
  return (
    <section aria-label="Status">
      <p>
        Status:{' '}
        <strong class={`status status-${current?.status}`} data-order-status={current?.status} aria-live="polite">
          {current ? statusLabel(current.status) : '—'}
        </strong>{' '}
        <span class="muted" data-link={link} data-transport={shop.transport()}>
          {link === 'live' && `Live updates on (${shop.transport() === 'sse' ? 'server-sent events' : 'WebSocket'})`}
          {link === 'connecting' && 'Connecting to live updates…'}
          {link === 'reconnecting' && 'Connection lost, reconnecting…'}
        </span>
      </p>
      {shipped && (
        <p>
          Shipped with {shipped.carrier}, tracking number <span data-tracking>{shipped.trackingNumber}</span>
        </p>
      )}
      <ol class="timeline" aria-label="History">
        {steps.map((s) => (
          <li key={s.sequence} data-step={s.sequence} data-status={s.status}>
            <strong>{statusLabel(s.status)}</strong> <span class="muted">{dateTime(s.at)}</span>
            {s.note && <div>{s.note}</div>}
          </li>
        ))}
      </ol>
    </section>
  );
}
