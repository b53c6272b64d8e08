// OpenAPI generated from the route schemas, at /docs (UI) and /docs/json.
// @see https://github.com/fastify/fastify-swagger
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { Config } from '../config.js'
import { ErrorSchema, SessionBodySchema } from '../schemas.js'

export default fp<{ config: Config }>(async function docs (fastify, { config }) {
  fastify.addSchema(ErrorSchema)
  fastify.addSchema(SessionBodySchema)
  // Off in production unless DOCS=true: the document lists the admin routes and every error.
  if (!config.docs) return
  await fastify.register(swagger, {
    openapi: {
      info: {
        title: 'bc-session-exchanger',
        version: '0.1.0',
        description: 'Exchange a BigCommerce Current Customer JWT once for a server-side session.'
      },
      components: {
        securitySchemes: {
          sessionCookie: { type: 'apiKey', in: 'cookie', name: config.cookie.name },
          bearer: { type: 'http', scheme: 'bearer' }
        }
      }
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) }
  })
  await fastify.register(swaggerUi, { routePrefix: '/docs' })
}, { name: 'docs' })
