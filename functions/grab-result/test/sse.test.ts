import { describe, expect, it } from 'vitest';
import { formatComment, formatEvent, SSE_HEADERS } from '../src/sse.js';

describe('SSE frames', () => {
  it('writes type, id and data, and ends the event with a blank line', () => {
    expect(formatEvent({ event: 'status', id: 'QUEUED', data: '{"status":"QUEUED"}' })).toBe(
      'event: status\nid: QUEUED\ndata: {"status":"QUEUED"}\n\n',
    );
  });

  it('leaves out the fields it was not given', () => {
    expect(formatEvent({ data: 'x' })).toBe('data: x\n\n');
    expect(formatEvent({ event: 'timeout', data: '{}' })).toBe('event: timeout\ndata: {}\n\n');
  });

  it('sends every line of multi-line data as its own data line, whatever the line break', () => {
    expect(formatEvent({ data: 'a\nb\r\nc\rd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n');
    // An empty payload is still one data line, or EventSource would not dispatch the event.
    expect(formatEvent({ event: 'ping', data: '' })).toBe('event: ping\ndata: \n\n');
  });

  it('refuses a line break or NUL in the type or id, which would inject fields', () => {
    expect(() => formatEvent({ event: 'status\ndata: forged', data: 'x' })).toThrow(/event/);
    expect(() => formatEvent({ id: 'a\rb', data: 'x' })).toThrow(/id/);
    expect(() => formatEvent({ id: 'a\0b', data: 'x' })).toThrow(/id/);
  });

  it('writes comments that clients ignore, one comment line per line of text', () => {
    expect(formatComment('keep-alive')).toBe(': keep-alive\n\n');
    expect(formatComment('a\nb')).toBe(': a\n: b\n\n');
  });

  it('streams without caching or proxy buffering', () => {
    expect(SSE_HEADERS).toEqual({
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
  });
});
