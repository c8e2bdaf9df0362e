/**
 * The floor of goal 5: the least a server can do and still take the login storm. It answers
 * `GET` (the probe's `system.whoami`) with a fixed JSON body at once, and a login `POST` by
 * checking the password with Warden's own password hasher (`createPasswordHasher()`, the same
 * argon2id parameters, threads, priority and bounded queue as the server's), answering 503 when
 * the hasher refuses it. No Hono, tRPC, database, tokens or request log: what the storm then
 * does to the probe's latency is what the machine's 2 cores, argon2id and the storm's traffic
 * do, whatever the server is built with. Runs on Node (through tsx) and on Bun; prints the same
 * "warden listening on" line as the server, with its URL.
 */
import { createServer, type IncomingMessage } from 'node:http'

import { createPasswordHasher } from '@warden/auth'

const passwords = createPasswordHasher()
// Every login is checked against this hash: the storm sends the right password.
const stored = await passwords.hash(process.env['STORM_PASSWORD'] ?? '')
const WHOAMI = JSON.stringify({ result: { data: { sub: 'floor', roles: ['member'] } } })
const JSON_TYPE = { 'content-type': 'application/json' }

async function passwordOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { password?: unknown }
  return typeof body.password === 'string' ? body.password : ''
}

const server = createServer((request, response) => {
  if (request.method !== 'POST') {
    response.writeHead(200, JSON_TYPE).end(WHOAMI)
    return
  }
  passwordOf(request)
    .then((password) => passwords.admit(() => passwords.verify(stored, password)))
    .then(
      ({ valid }) => response.writeHead(valid ? 200 : 401, JSON_TYPE).end('{"result":{}}'),
      () => response.writeHead(503, JSON_TYPE).end('{"error":{}}'),
    )
})

server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  const url = `http://127.0.0.1:${address.port}`
  console.log(JSON.stringify({ message: `warden listening on ${url}`, url }))
})
process.once('SIGTERM', () => process.exit(0))
