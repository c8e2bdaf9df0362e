/**
 * A hot loop over verifyAccessToken on a cache miss, for profiling:
 * node --import tsx --cpu-prof bench/profile-verify.ts [alg] [iterations]
 */
import { createTokenService, type SigningAlgorithm } from '../src/index.ts'
import { testKeySet } from '../src/testing/index.ts'

const alg = (process.argv[2] ?? 'HS256') as SigningAlgorithm
const keys = await testKeySet(alg)
const now = Date.now()
const service = createTokenService({
  keys: keys.keySet,
  issuer: 'https://auth.warden.test',
  audience: 'warden-api',
  clock: { now: () => now },
  cache: false,
})
const { token } = await service.issueAccessToken({
  sub: '0190d3a4-7c1e-7a5e-9b1c-2f3a4b5c6d7e',
  audience: 'warden-api',
  clientId: 'warden',
  roles: ['member'],
  scope: 'projects:read invoices:read',
  tenantId: '0190d3a4-7c1e-7a5e-9b1c-000000000001',
})
const n = Number(process.argv[3] ?? 300000)
const start = performance.now()
for (let i = 0; i < n; i++) service.verifyAccessToken(token)
console.log(alg, (((performance.now() - start) * 1000) / n).toFixed(2), 'µs/op')
