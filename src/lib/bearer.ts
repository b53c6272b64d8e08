import { secretEqual } from './secret-equal.js'

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken (header: string | undefined): string | undefined {
  if (header === undefined || !/^bearer /i.test(header)) return undefined
  return header.slice(7)
}

/** Constant-time check of a bearer token against the configured secret. */
export function bearerMatches (header: string | undefined, expected: string): boolean {
  return secretEqual(bearerToken(header), expected)
}
