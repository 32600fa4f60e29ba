/** Response headers of an event stream. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  // Every stream is one user's live state: no cache may keep or share it.
  'cache-control': 'no-store',
  // nginx (and ingress-nginx) buffer proxied responses by default, which would hold events back.
  'x-accel-buffering': 'no',
} as const;

export interface SseEvent {
  /** The event type; EventSource dispatches it to `addEventListener(event, …)`. */
  readonly event?: string;
  /** Becomes the stream's last event id, sent back as `Last-Event-ID` on reconnect. */
  readonly id?: string;
  readonly data: string;
}

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * One event in the `text/event-stream` format. Data may span lines (each becomes a `data:` line).
 * A line break in the type or id would end the field early and let the rest be read as another
 * field, and a NUL makes clients drop the id, so both are refused.
 */
export function formatEvent({ event, id, data }: SseEvent): string {
  let frame = '';
  if (event !== undefined) frame += `event: ${oneLine('event', event)}\n`;
  if (id !== undefined) frame += `id: ${oneLine('id', id)}\n`;
  for (const line of data.split(LINE_BREAK)) frame += `data: ${line}\n`;
  return `${frame}\n`;
}

/** A comment: ignored by clients, but traffic for every proxy on the way (keep-alive). */
export function formatComment(text: string): string {
  return `${text
    .split(LINE_BREAK)
    .map((line) => `: ${line}`)
    .join('\n')}\n\n`;
}

function oneLine(field: string, value: string): string {
  if (/[\r\n\0]/.test(value)) throw new Error(`SSE ${field} must be one line without NUL: ${JSON.stringify(value)}`);
  return value;
}
