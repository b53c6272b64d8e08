// Starts a real master + replica + one Sentinel (quorum 1) from redis-server processes on free ports.
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { processGroup, until } from './process-group.js'
import { Redis } from 'ioredis'
import { freePort } from './redis-server.js'

export const SENTINEL_MASTER_NAME = 'bcx-master'

export interface RedisSentinel {
  /** `host:port` for REDIS_SENTINELS. */
  sentinels: string
  name: string
  /** Ports of the two data nodes, in start order (the first starts as master). */
  dataPorts: [number, number]
  /** A client to the Sentinel itself. */
  sentinel: Redis
  /** The data node Sentinel currently names as master. */
  masterPort (): Promise<number>
  /** SENTINEL FAILOVER, then waits until Sentinel names the other node and it acts as master. */
  failover (): Promise<{ from: number, to: number }>
  close (): Promise<void>
}

const client = (port: number, password?: string): Redis => {
  // Named, so that a test can tell the service's connections from the harness's (CLIENT LIST).
  const c = new Redis({
    port,
    host: '127.0.0.1',
    password,
    connectionName: 'bcx-test',
    maxRetriesPerRequest: 1,
    retryStrategy: () => 100
  })
  c.on('error', () => {})
  return c
}

/** `password`: the data nodes require it (requirepass, masterauth); the Sentinel itself has none. */
export async function startRedisSentinel ({ password }: { password?: string } = {}): Promise<RedisSentinel> {
  const { dir, processes, clients, close } = processGroup('bcx-sentinel-')

  const redisServer = (args: string[]): void => {
    processes.push(spawn('redis-server', args, { stdio: 'ignore' }))
  }

  try {
    const [masterPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()]
    const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      ...(password !== undefined ? ['--requirepass', password, '--masterauth', password] : [])]
    redisServer(['--port', String(masterPort), '--dir', dir, '--dbfilename', `m-${masterPort}.rdb`, ...common])
    redisServer(['--port', String(replicaPort), '--dir', dir, '--dbfilename', `r-${replicaPort}.rdb`, ...common,
      '--replicaof', '127.0.0.1', String(masterPort)])
    const master = client(masterPort, password)
    const replica = client(replicaPort, password)
    clients.push(master, replica)
    await until('the replica in sync', async () => /master_link_status:up/.test(await replica.info('replication')))

    // Sentinel rewrites its config file: it must be a writable file of its own.
    const conf = join(dir, 'sentinel.conf')
    writeFileSync(conf, [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
      `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
      `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
      ...(password !== undefined ? [`sentinel auth-pass ${SENTINEL_MASTER_NAME} ${password}`] : []),
      ''
    ].join('\n'))
    redisServer([conf, '--sentinel'])
    const sentinel = client(sentinelPort)
    clients.push(sentinel)
    // A forced failover needs a replica that Sentinel has seen and found healthy.
    await until('Sentinel knows a healthy replica', async () => {
      const replicas = await sentinel.call('SENTINEL', 'REPLICAS', SENTINEL_MASTER_NAME) as string[][]
      return replicas.some((fields) => {
        const f = new Map<string, string>()
        for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string)
        return f.get('flags') === 'slave' && f.get('master-link-status') === 'ok'
      })
    })

    const masterPortNow = async (): Promise<number> => {
      const addr = await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME) as [string, string]
      return Number(addr[1])
    }

    return {
      sentinels: `127.0.0.1:${sentinelPort}`,
      name: SENTINEL_MASTER_NAME,
      dataPorts: [masterPort, replicaPort],
      sentinel,
      masterPort: masterPortNow,
      async failover () {
        const from = await masterPortNow()
        const to = from === masterPort ? replicaPort : masterPort
        await sentinel.call('SENTINEL', 'FAILOVER', SENTINEL_MASTER_NAME)
        const promoted = to === masterPort ? master : replica
        await until('the replica promoted', async () =>
          await masterPortNow() === to && /role:master/.test(await promoted.info('replication')))
        return { from, to }
      },
      close
    }
  } catch (err) {
    await close()
    throw err
  }
}
