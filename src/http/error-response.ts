import type { FastifyError, FastifyReply } from 'fastify';
import type { Socket } from 'node:net';
import { GatehouseError, isGatehouseError } from '../errors.js';

export const WWW_AUTHENTICATE = 'Bearer realm="api"';

/** Fastify's own errors, mapped to stable codes. Messages are ours: they never echo input. */
function fromFastifyError(error: FastifyError): GatehouseError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatehouseError('unsupported_media_type', 'Unsupported media type in request.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatehouseError('payload_too_large', 'Request body is too large.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatehouseError('bad_request', 'Malformed request body.');
    default:
      if (error.statusCode === 413) return new GatehouseError('payload_too_large', 'Request body is too large.');
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
        return new GatehouseError('bad_request', 'Bad request.');
      }
      return undefined;
  }
}

/** Any thrown value as the error a client may see; unknown failures become `internal_error`. */
export function toPublicError(error: unknown): GatehouseError {
  if (isGatehouseError(error)) return error;
  const known = typeof error === 'object' && error !== null && 'code' in error ? fromFastifyError(error as FastifyError) : undefined;
  return known ?? new GatehouseError('internal_error', 'A server error occurred.', { cause: error });
}

/** Sends an error in the API's shape; every 401 names the Bearer scheme. */
export function sendError(reply: FastifyReply, error: GatehouseError): FastifyReply {
  if (error.status === 401 && !reply.hasHeader('www-authenticate')) void reply.header('www-authenticate', WWW_AUTHENTICATE);
  // An outage or an overload is brief, or so we hope: tell clients when to try again.
  if (error.status === 503 && !reply.hasHeader('retry-after')) void reply.header('retry-after', '1');
  return reply.code(error.status).type('application/json; charset=utf-8').send(error.body);
}

const CLIENT_ERRORS: Readonly<Record<string, [number, string, GatehouseError]>> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', new GatehouseError('header_too_large', 'Request headers are too large.')],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', new GatehouseError('request_timeout', 'The request took too long to arrive.')],
};
const BAD_REQUEST: [number, string, GatehouseError] = [400, 'Bad Request', new GatehouseError('bad_request', 'Malformed HTTP request.')];

/**
 * Answers requests that Node's HTTP parser refuses before Fastify sees them (oversized headers,
 * invalid bytes, timeouts) in the API's JSON shape rather than a bare status line.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, publicError] = CLIENT_ERRORS[error.code ?? ''] ?? BAD_REQUEST;
  const body = JSON.stringify(publicError.body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
