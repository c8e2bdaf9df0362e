import type { AppRouter } from '@warden/api'
import { authErrorOf, createWardenClient } from '@warden/client'

// `url`: where `pnpm start` listens, such as http://127.0.0.1:3000
export async function app(url: string, email: string, password: string) {
  const warden = createWardenClient<AppRouter>({
    url,
    transport: 'bearer', // in a browser: 'cookie', and the refresh token stays in an HttpOnly cookie
    onSessionExpired: (reason) => console.warn(`Signed out (${reason}): sign in again`),
  })
  await warden.register({ email, password })
  await warden.login({ email, password })
  const project = await warden.api.projects.create.mutate({ name: 'Apollo' }) // typed by AppRouter
  const mine = await warden.api.projects.list.query() // an expired token is refreshed on the way
  const denied = await warden.api.projects.delete.mutate({ id: project.id }).catch(authErrorOf)
  await warden.logout()
  return { project, mine, denied } // denied: 'insufficient_scope' (members may not delete)
}
