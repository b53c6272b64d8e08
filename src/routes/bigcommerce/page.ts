// The small HTML pages the app callbacks answer: the merchant's browser (the control panel) opens them,
// often inside its iframe. Every value is escaped; the pages load nothing and run no script.
import type { FastifyReply } from 'fastify'

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export const escapeHtml = (value: unknown): string => String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] as string)

/** A piece of already escaped HTML; anything else given to `html` is escaped. */
export class Html {
  constructor (readonly text: string) {}
  toString (): string { return this.text }
}

/** Tagged template: interpolated values are escaped unless they are Html (or arrays of it). */
export function html (strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] as string
  values.forEach((value, i) => {
    const parts = Array.isArray(value) ? value : [value]
    out += parts.map((part) => part instanceof Html ? part.text : escapeHtml(part)).join('')
    out += strings[i + 1] as string
  })
  return new Html(out)
}

const STYLE = 'body{font:15px/1.5 system-ui,sans-serif;margin:1.5rem;color:#1d2433;max-width:48rem}' +
  'h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.5rem}.ok{color:#1a7f37}.problem{color:#b42318}' +
  'code{background:#f3f4f6;padding:0 .25rem}button{font:inherit;padding:.4rem .9rem;cursor:pointer}'

/**
 * The control panel frames these pages (store-<hash>.mybigcommerce.com/manage); nothing else may. The
 * URL carries the callback's code or signed payload, so no Referer leaves the page, and no cache keeps it.
 */
export const FRAME_ANCESTORS = "'self' https://*.bigcommerce.com https://*.mybigcommerce.com"
const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; " +
  `frame-ancestors ${FRAME_ANCESTORS}`

export interface PageOptions {
  status: number
  title: string
  body: Html
  /** Our error code when the page reports a refusal: shown on the page and kept for the request log. */
  code?: string
}

export function sendPage (reply: FastifyReply, { status, title, body, code }: PageOptions): FastifyReply {
  const doc = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>${new Html(STYLE)}</style></head>
<body><h1>${title}</h1>
${body}
${code === undefined ? '' : html`<p><small>Error code: <code data-code="${code}">${code}</code></small></p>`}
</body></html>
`
  return reply
    .code(status)
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Cache-Control', 'no-store')
    .header('Referrer-Policy', 'no-referrer')
    .header('X-Content-Type-Options', 'nosniff')
    .header('Content-Security-Policy', CSP)
    .send(doc.text)
}
