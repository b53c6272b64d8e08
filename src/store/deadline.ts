// A deadline for every Redis call, counted from the call itself.
//
// ioredis starts a command's own timeout (commandTimeout) only when it writes the command. With
// auto-pipelining it keeps one batch in flight per connection and writes the next one only once that
// batch settles: against a hung server, a call made while a batch is in flight waited for that batch's
// timeout and then for its own, twice the bound. Here each call also gets a deadline from when it was
// made. One timer serves every pending call (no setTimeout per call): calls expire in the order they were
// made, so they wait in a queue and the timer is set for the oldest one.
import { Redis } from 'ioredis'

/** Recognised by isRedisError (src/lib/redis-errors.ts): answers 503 BCX_STORE_UNAVAILABLE. */
export class RedisDeadlineError extends Error {
  override name = 'RedisDeadlineError'
}

/** `expiresAt` on the monotonic clock: a wall-clock step must not fail or stretch a call. */
interface Pending { expiresAt: number, settled: boolean, reject: (err: Error) => void }

export class CallDeadline {
  private readonly queue: Pending[] = []
  private head = 0
  private timer: NodeJS.Timeout | undefined
  /** Expired calls are rejected together: at most this late, so a burst costs one timer, not one each. */
  private readonly stepMs: number

  constructor (readonly ms: number) {
    this.stepMs = Math.max(1, Math.min(50, Math.floor(ms / 20)))
  }

  /** `work`'s outcome, or a RedisDeadlineError once `ms` have passed since this call (whichever is first). */
  track<T> (work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { expiresAt: performance.now() + this.ms, settled: false, reject }
      this.dropSettled()
      this.queue.push(entry)
      this.timer ??= this.schedule(entry.expiresAt)
      work.then((value) => {
        entry.settled = true
        resolve(value)
      }, (err: unknown) => {
        entry.settled = true
        reject(err)
      })
    })
  }

  /** Calls not yet settled (tests). */
  get pending (): number {
    let n = 0
    for (let i = this.head; i < this.queue.length; i++) if (!(this.queue[i] as Pending).settled) n++
    return n
  }

  private schedule (at: number): NodeJS.Timeout {
    return setTimeout(this.sweep, Math.max(0, at - performance.now())).unref()
  }

  /** Answered calls leave the front of the queue as new ones arrive: under a healthy Redis it stays short. */
  private dropSettled (): void {
    const q = this.queue
    while (this.head < q.length && (q[this.head] as Pending).settled) this.head++
    if (this.head === q.length) {
      q.length = 0
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > q.length) {
      q.splice(0, this.head)
      this.head = 0
    }
  }

  private readonly sweep = (): void => {
    this.timer = undefined
    const now = performance.now()
    const q = this.queue
    while (this.head < q.length) {
      const entry = q[this.head] as Pending
      if (!entry.settled) {
        if (entry.expiresAt > now) break
        entry.settled = true
        entry.reject(new RedisDeadlineError(`Command timed out: no answer within ${this.ms} ms`))
      }
      this.head++
    }
    this.dropSettled()
    const next = q[this.head]
    if (next !== undefined) this.timer = this.schedule(Math.max(next.expiresAt, now + this.stepMs))
  }
}

type Method = (this: Redis, ...args: unknown[]) => unknown

/**
 * Commands ioredis never auto-pipelines (so never queued behind a batch); it sends some itself while
 * connecting.
 */
const NOT_PIPELINED = new Set([
  'auth', 'info', 'script', 'quit', 'cluster', 'pipeline', 'multi', 'exec',
  'subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe',
  'select', 'client', 'monitor'
])

const kDeadline = Symbol('bcx.callDeadline')

function deadlineOf (client: Redis): CallDeadline | null {
  // ioredis copies a client's scripts onto its pipelines (auto-pipelining's too): there a call only queues.
  if ((client as { isPipeline?: boolean }).isPipeline === true) return null
  const holder = client as Redis & { [kDeadline]?: CallDeadline | null }
  let deadline = holder[kDeadline]
  if (deadline === undefined) {
    const { commandTimeout, enableAutoPipelining } = client.options
    const timed = typeof commandTimeout === 'number' && commandTimeout > 0
    deadline = enableAutoPipelining === true && timed ? new CallDeadline(commandTimeout) : null
    holder[kDeadline] = deadline
  }
  return deadline
}

function bounded (base: Method): Method {
  return function (this: Redis, ...args: unknown[]): unknown {
    const deadline = deadlineOf(this)
    if (deadline === null) return base.apply(this, args)
    const callback = args[args.length - 1]
    if (typeof callback !== 'function') return deadline.track(base.apply(this, args) as Promise<unknown>)
    // Callback style (the rate limiter's): the callback hears the first of answer and deadline; like
    // ioredis, it runs outside the promise, so that what it throws is not swallowed.
    args.pop()
    const tracked = deadline.track(base.apply(this, args) as Promise<unknown>)
    tracked.then(
      (value) => process.nextTick(callback as Method, null, value),
      (err: unknown) => process.nextTick(callback as Method, err)
    )
    return tracked
  }
}

/**
 * An ioredis client whose auto-pipelined calls (every named command but those above, and every script
 * defined with defineCommand, ours and the rate limiter's; not the generic `call`) fail with
 * RedisDeadlineError once `commandTimeout` has passed since the call. Without auto-pipelining, or
 * without a commandTimeout, it is a plain client.
 */
export class DeadlineRedis extends Redis {
  override defineCommand (name: string, definition: { lua: string, numberOfKeys?: number, readOnly?: boolean }): void {
    super.defineCommand(name, definition)
    const self = this as unknown as Record<string, Method>
    for (const method of [name, `${name}Buffer`]) self[method] = bounded(self[method] as Method)
  }
}

const prototype = Redis.prototype as unknown as Record<string, Method>
for (const command of Redis.prototype.getBuiltinCommands()) {
  if (NOT_PIPELINED.has(command)) continue
  for (const method of [command, `${command}Buffer`]) {
    const base = prototype[method]
    if (typeof base !== 'function') continue
    Object.defineProperty(DeadlineRedis.prototype, method, { value: bounded(base), writable: true, configurable: true })
  }
}
