/** Node's lower-cased header map (`IncomingMessage.headers`); kept structural on purpose. */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/** A repeated header arrives as an array; only its first occurrence counts. */
export function firstValue(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}
