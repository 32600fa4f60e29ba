import { AppError } from '@couponkill/errors';
import type { HttpRequest } from './types.js';

/** Methods whose body we read; a body on GET or DELETE is ignored. */
export const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The request's JSON body, or undefined when it has none. Enforces the media type, the size limit
 * and JSON syntax, each with its own status (415, 413, 400).
 */
export async function readJsonBody(req: HttpRequest, maxBytes: number): Promise<unknown> {
  if (!hasBody(req)) return undefined;
  requireJson(req.headers['content-type']);

  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) throw tooLarge(maxBytes);

  // Under functions-framework, Express has already read and parsed the body and kept the bytes.
  if (Buffer.isBuffer(req.rawBody)) {
    if (req.rawBody.length > maxBytes) throw tooLarge(maxBytes);
    if (req.body !== undefined) return req.body;
    return req.rawBody.length === 0 ? undefined : parseJson(req.rawBody);
  }
  if (req.readableEnded) {
    // Someone else consumed the stream without keeping the bytes: the parsed value is all there is.
    if (req.body === undefined) return undefined;
    if (Buffer.byteLength(JSON.stringify(req.body) ?? '') > maxBytes) throw tooLarge(maxBytes);
    return req.body;
  }
  const bytes = await readLimited(req, maxBytes);
  return bytes.length === 0 ? undefined : parseJson(bytes);
}

function hasBody(req: HttpRequest): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

function requireJson(contentType: string | undefined): void {
  const [type = '', ...params] = (contentType ?? '').split(';').map((p) => p.trim().toLowerCase());
  const isJson = type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
  // JSON is UTF-8 by definition (RFC 8259); a different declared charset would be decoded wrongly.
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (!isJson || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'The request body must be JSON (Content-Type: application/json).');
  }
}

export function tooLarge(maxBytes: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `The request body must not exceed ${maxBytes} bytes.`);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(UTF8.decode(bytes)) as unknown;
  } catch {
    throw new AppError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
}

/**
 * Reads the stream up to `maxBytes`. Past the limit it stops reading and pauses the stream, so
 * an oversized upload is never buffered; the caller answers 413 and closes the connection.
 */
function readLimited(req: HttpRequest, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (): void => {
      cleanup();
      reject(incomplete());
    };
    const onClose = (): void => {
      // 'close' before 'end': the client went away mid-upload.
      cleanup();
      reject(incomplete());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function incomplete(): AppError {
  return new AppError('BAD_REQUEST', 'The request body was not received completely.');
}
