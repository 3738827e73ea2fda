// Display helpers. Amounts stay decimal strings: Intl formats a string exactly.

export interface MoneyLike {
  amount: string;
  currencyCode: string;
}

export function money(m: MoneyLike | null | undefined): string {
  if (!m) return '—';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: m.currencyCode }).format(
      m.amount as unknown as number,
    );
  } catch {
    return `${m.amount} ${m.currencyCode}`;
  }
}

export function dateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function date(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { dateStyle: 'medium' });
}

/** statusLabel turns an OrderStatus into words. */
export function statusLabel(s: string): string {
  return s.charAt(0) + s.slice(1).toLowerCase();
}

/** randomId returns 128 random bits in hex; it works outside secure contexts too. */
export function randomId(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
