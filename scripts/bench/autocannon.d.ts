// The part of autocannon's programmatic API the benchmark uses (the package ships no types).
declare module 'autocannon' {
  interface Request {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string
    setupRequest?: (request: Request, context: Record<string, unknown>) => Request | null
  }
  interface Options {
    url: string
    connections?: number
    duration?: number
    amount?: number
    requests?: Request[]
  }
  interface Histogram { p50: number, p90: number, p99: number, average: number, max: number }
  interface Result {
    duration: number
    requests: Histogram & { total: number }
    latency: Histogram
    errors: number
    timeouts: number
    non2xx: number
    '2xx': number
  }
  interface Instance extends PromiseLike<Result> {
    stop (): void
  }
  function autocannon (opts: Options): Instance
  export default autocannon
}
