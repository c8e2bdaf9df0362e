import type { AppRouter } from '@warden/api'
import { createServiceClient } from '@warden/client'

// Registered with `pnpm warden clients create --id reports --audience warden-api --scope invoices:read`
export async function reports(url: string, clientSecret: string, tenantId: string) {
  const service = createServiceClient<AppRouter>({
    url,
    tokenUrl: `${url}/oauth/token`,
    clientId: 'reports',
    clientSecret, // printed once by that command: keep it in a secret store
    audience: 'warden-api',
    scope: 'invoices:read',
  })
  // One token for all calls, renewed before it expires.
  const invoices = await service.api.invoices.list.query({ tenantId })
  return invoices.filter((invoice) => invoice.status === 'pending')
}
