// One error handler: every error leaves as {statusCode, code, error, message}; bad input is a 4xx,
// Redis trouble a 503 with our code, and no 5xx text reaches the client.
import fp from 'fastify-plugin'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { BCX_BAD_REQUEST, BCX_INTERNAL, BCX_STORE_UNAVAILABLE, retryAfterOf } from '../errors.js'
import { isRedisError } from '../lib/redis-errors.js'

export interface ErrorBody { statusCode: number, code: string, error: string, message: string }

export function errorBody (statusCode: number, code: string, message: string): ErrorBody {
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message }
}

/**
 * Maps anything thrown to the error we answer with. Only errors of our table keep their message on a 5xx:
 * anything else that is not a client error becomes BCX_INTERNAL, whose message is fixed, so the text of
 * an unexpected error (a library's message, a path, a query) never reaches the client.
 */
export function toHttpError (err: FastifyError): FastifyError {
  if (err.code?.startsWith('BCX_') === true) return err
  if (err.validation !== undefined) return new BCX_BAD_REQUEST(err.message)
  // The body parser's 400s (broken JSON, empty body) are bad requests in our table; 413, 415 and 431
  // keep Fastify's codes.
  if (err.statusCode === 400) {
    return new BCX_BAD_REQUEST(err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'empty body' : 'malformed body')
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return err
  if (isRedisError(err)) return new BCX_STORE_UNAVAILABLE({ cause: err })
  return new BCX_INTERNAL({ cause: err })
}

/** A dependency that did not answer is expected now and then: a warning with its cause, no stack. */
const QUIET_5XX = new Set(['BCX_UPSTREAM_UNAVAILABLE', 'BCX_UPSTREAM_TIMEOUT'])

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (oversized headers: 431, malformed
 * ones: 400, timeouts: 408); they too leave in our error shape, with Node's code.
 */
export function clientErrorHandler (err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  const code = err.code ?? 'FST_ERR_BAD_REQUEST'
  const body = JSON.stringify(errorBody(status, code, STATUS_CODES[status] ?? 'Bad Request'))
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`
  ].join('\r\n')
  socket.end(`${head}\r\n\r\n${body}`)
}

/** 404 in our shape; also set inside scopes (/api) so that their hooks guard unknown paths too. */
export function notFound (request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?', 1)[0]
  reply.code(404).send(errorBody(404, 'FST_ERR_NOT_FOUND', `Route ${request.method}:${path} not found`))
}

export default fp(async function errorHandler (fastify) {
  fastify.setErrorHandler(function (error: FastifyError, request, reply) {
    const err = toHttpError(error)
    const statusCode = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500
    // Only a client error without a code of its own gets here codeless: the fallback clientErrorHandler uses.
    const code = err.code ?? 'FST_ERR_BAD_REQUEST'
    request.errorCode = code
    if (QUIET_5XX.has(code)) {
      request.log.warn({ code, cause: (err.cause as Error | undefined)?.message }, 'request failed')
    } else if (statusCode >= 500) {
      // The cause (a Redis message, a stack) goes to the log; the client gets the code alone.
      request.log.error({ err: error, cause: (err.cause as Error | undefined)?.message, code }, 'request failed')
    } else {
      request.log.info({ code, statusCode }, 'request refused')
    }
    const retryAfter = retryAfterOf(err)
    if (retryAfter !== undefined && !reply.hasHeader('retry-after')) reply.header('Retry-After', String(retryAfter))
    const message = statusCode >= 500 && !code.startsWith('BCX_') ? 'Internal Server Error' : err.message
    reply.code(statusCode).send(errorBody(statusCode, code, message))
  })

  fastify.setNotFoundHandler(notFound)
}, { name: 'error-handler', dependencies: ['metrics'] })
