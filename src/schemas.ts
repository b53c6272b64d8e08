// Response schemas shared by the routes; they also feed the OpenAPI document.
import { Type } from 'typebox'
import { ERROR_CODES, type ErrorCode } from './errors.js'

export const ErrorSchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String()
}, {
  $id: 'BcxError',
  description: 'Every error: Fastify\'s shape with one of our codes (or Fastify\'s own for 404, 413, 415, 431)'
})

export const SessionBodySchema = Type.Object({
  customer: Type.Object({
    id: Type.Integer({ minimum: 1 }),
    email: Type.String(),
    group_id: Type.Union([Type.String(), Type.Null()])
  }),
  store_hash: Type.String(),
  expires_at: Type.String({
    format: 'date-time',
    description: 'When the session ends if not used again (idle deadline, capped by the absolute one)'
  })
}, { $id: 'BcxSession' })

const errorRef = Type.Ref('BcxError')

/** Response schemas for the given error codes, grouped by status, with the codes in the description. */
export function errorResponses (...codes: Array<ErrorCode | `FST_${string}`>): Record<number, unknown> {
  const byStatus: Record<number, string[]> = {}
  for (const code of codes) {
    const status = code.startsWith('FST_ERR_CTP_BODY_TOO_LARGE')
      ? 413
      : code.startsWith('FST_ERR_CTP_INVALID_MEDIA_TYPE') ? 415 : ERROR_CODES[code as ErrorCode]
    ;(byStatus[status] ??= []).push(code)
  }
  return Object.fromEntries(Object.entries(byStatus)
    .map(([status, list]) => [status, { ...errorRef, description: list.join(', ') }]))
}
