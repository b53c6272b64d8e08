// The signed-in customer, as every part of the server names it. snake_case lives only at the wire
// edges: the token's claims, the session body, the stored record and the storefront script.

export interface Customer {
  id: number
  email: string
  groupId: string | null
  storeHash: string
}
