// One autocannon run against one path, with a header or body that changes on every request.
import autocannon from 'autocannon'

export interface Load {
  method?: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  /** Values to rotate through, one per request: cookies, or `rotateHeader`'s values. */
  cookies?: readonly string[]
  /** The header the rotating values go in; `cookie` unless said. */
  rotateHeader?: string
  /** Bodies to send once each, in order; the run stops early when they run out. */
  bodies?: readonly string[]
}

export interface LoadResult {
  /** 2xx answers: only those count towards the rate. */
  requests: number
  rps: number
  /** Latency in ms: autocannon's percentiles are whole milliseconds, the mean is not. */
  mean: number
  p50: number
  p99: number
  /** Answers that were not 2xx, plus connection errors and timeouts: a run with any is not valid. */
  failures: number
  seconds: number
  /** The bodies ran out before the time did (the run was cut short). */
  exhausted: boolean
}

export interface LoadOptions { connections: number, seconds: number }

export async function runLoad (url: string, load: Load, opts: LoadOptions): Promise<LoadResult> {
  const { method = 'GET', path, headers = {}, cookies, bodies, rotateHeader = 'cookie' } = load
  let i = 0
  let exhausted = false
  let stop = (): void => {}
  const options: autocannon.Options = {
    url,
    connections: opts.connections,
    duration: opts.seconds,
    requests: [{
      method,
      path,
      // Every scenario pays the same client-side cost of rebuilding its request.
      setupRequest: (request) => {
        if (bodies !== undefined) {
          const body = bodies[i++]
          if (body === undefined) {
            if (!exhausted) { exhausted = true; stop() }
            return { ...request, body: bodies[0] }
          }
          return { ...request, headers: { ...headers }, body }
        }
        const cookie = cookies?.[i++ % cookies.length]
        return { ...request, headers: cookie === undefined ? { ...headers } : { ...headers, [rotateHeader]: cookie } }
      }
    }]
  }
  // The callback form: it is the one that hands back the instance, which stop() needs.
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err: unknown, result) => { if (err) reject(err); else resolve(result) })
    stop = () => instance.stop()
  })
  // autocannon's errors already include its timeouts.
  const failures = r.non2xx + r.errors
  return {
    requests: r['2xx'],
    rps: r['2xx'] / r.duration,
    mean: r.latency.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    failures,
    seconds: r.duration,
    exhausted
  }
}
