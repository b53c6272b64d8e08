// Starts a real 3-master Redis Cluster from redis-server processes on free ports (no replicas).
import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import { processGroup, until } from './process-group.js'
import { Redis } from 'ioredis'
import { freePort } from './redis-server.js'

const run = promisify(execFile)

export interface RedisCluster {
  ports: number[]
  /** `host:port,...` for REDIS_CLUSTER_NODES. */
  seeds: string
  /** One plain client per node (closed at close()). */
  clients: Redis[]
  close (): Promise<void>
}

/** `password`: every node requires it (requirepass, masterauth). */
export async function startRedisCluster ({ masters = 3, password }: {
  masters?: number,
  password?: string
} = {}): Promise<RedisCluster> {
  const { dir, processes, clients, close } = processGroup('bcx-cluster-')

  try {
    const ports: number[] = []
    for (let i = 0; i < masters; i++) {
      const port = await freePort()
      const busPort = await freePort()
      ports.push(port)
      processes.push(spawn('redis-server', [
        '--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000',
        '--save', '', '--appendonly', 'no', '--dir', dir,
        ...(password !== undefined ? ['--requirepass', password, '--masterauth', password] : [])
      ], { stdio: 'ignore' }))
    }
    for (const port of ports) {
      const client = new Redis({ port, host: '127.0.0.1', password, maxRetriesPerRequest: 1, retryStrategy: () => 100 })
      client.on('error', () => {})
      clients.push(client)
      await until(`node ${port} answering`, async () => await client.ping() === 'PONG')
    }
    await run('redis-cli',
      [...(password !== undefined ? ['--no-auth-warning', '-a', password] : []), '--cluster', 'create',
        ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'])
    // Every node must agree that all slots are served before a client can rely on the slot map.
    await until('cluster_state:ok on every node', async () => {
      const infos = await Promise.all(clients.map((c) => c.cluster('INFO')))
      return infos.every((info) =>
        /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${masters}\\b`).test(info))
    })
    return { ports, seeds: ports.map((p) => `127.0.0.1:${p}`).join(','), clients, close }
  } catch (err) {
    await close()
    throw err
  }
}
