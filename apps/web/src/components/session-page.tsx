import { useApp } from '../app-context.ts'
import { describeUserAgent, formatClock, formatCountdown, formatDateTime } from '../format.ts'
import { useAction, useNow, useQuery } from '../use-query.ts'
import { ErrorNote } from './error-note.tsx'

/**
 * The session panel: the access token's expiry and last refresh, what the server reads from the
 * token, the account's active sessions (refresh-token families) with a revoke button each, and
 * the two ways to sign out.
 */
export function SessionPage() {
  const { client, identity, times, signOut } = useApp()
  const now = useNow(1000)
  const sessions = useQuery(() => client.api.auth.sessions.query())
  const { busy, error, run: act } = useAction()
  const expired = times.expiresAt !== null && times.expiresAt <= now

  return (
    <div class="page">
      <header class="page-header">
        <div>
          <h1>Session</h1>
          <p class="muted">How this browser is signed in, and where else you are.</p>
        </div>
      </header>

      <div class="grid">
        <section class="card" aria-labelledby="token-title">
          <h2 id="token-title" class="card-title">
            Access token
          </h2>
          <dl class="facts-list">
            <div>
              <dt>Expires</dt>
              <dd data-token-state={expired ? 'expired' : 'valid'}>
                {times.expiresAt === null ? (
                  '—'
                ) : (
                  <>
                    <span class="big">{formatClock(times.expiresAt)}</span>{' '}
                    <span class={`pill ${expired ? 'warn' : 'ok'}`}>
                      {expired
                        ? 'expired · renewed on the next call'
                        : `in ${formatCountdown(times.expiresAt, now)}`}
                    </span>
                  </>
                )}
              </dd>
            </div>
            <div>
              <dt>Last refreshed</dt>
              <dd data-last-refresh>
                {times.lastRefreshAt === null
                  ? 'not since you signed in'
                  : `${formatClock(times.lastRefreshAt)} (${times.refreshes} ${
                      times.refreshes === 1 ? 'refresh' : 'refreshes'
                    } in this tab)`}
              </dd>
            </div>
            <div>
              <dt>Held</dt>
              <dd>in this tab’s memory only; the refresh token is in an HttpOnly cookie</dd>
            </div>
            <div>
              <dt>Roles</dt>
              <dd>
                {identity.roles.map((role) => (
                  <span key={role} class="badge role">
                    {role}
                  </span>
                ))}
              </dd>
            </div>
            <div>
              <dt>Scope</dt>
              <dd class="scopes">
                {identity.scopes.map((scope) => (
                  <code key={scope}>{scope}</code>
                ))}
              </dd>
            </div>
          </dl>
          <p class="hint">Read by the server from the token itself (system.whoami).</p>
        </section>

        <section class="card" aria-labelledby="sign-out-title">
          <h2 id="sign-out-title" class="card-title">
            Sign out
          </h2>
          <p class="muted">
            Signing out here revokes this browser’s refresh token and its current access token.
            Signing out everywhere ends every session of your account, on every device.
          </p>
          <div class="button-row">
            <button
              type="button"
              class="button"
              disabled={busy}
              onClick={() => void act(() => signOut(false))}
            >
              Sign out
            </button>
            <button
              type="button"
              class="button danger"
              disabled={busy}
              onClick={() => void act(() => signOut(true))}
            >
              Sign out everywhere
            </button>
          </div>
        </section>
      </div>

      <section class="card" aria-labelledby="sessions-title" aria-busy={sessions.loading}>
        <div class="card-head">
          <h2 id="sessions-title" class="card-title">
            Active sessions{' '}
            {sessions.data === undefined ? null : <span class="count">{sessions.data.length}</span>}
          </h2>
          <button
            type="button"
            class="button subtle"
            disabled={sessions.loading}
            onClick={() => void sessions.reload()}
          >
            Reload
          </button>
        </div>
        <ErrorNote error={error} />
        <ErrorNote error={sessions.error} title="The sessions could not be loaded." />
        <table class="table" data-list="sessions">
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Signed in</th>
              <th scope="col">Last active</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.data?.map((session) => (
              <tr key={session.id}>
                <td>{describeUserAgent(session.userAgent)}</td>
                <td class="muted">{formatDateTime(Date.parse(session.createdAt))}</td>
                <td class="muted">{formatDateTime(Date.parse(session.lastUsedAt))}</td>
                <td class="actions">
                  <button
                    type="button"
                    class="button subtle danger"
                    disabled={busy}
                    onClick={() =>
                      void act(async () => {
                        await client.api.auth.revokeSession.mutate({ id: session.id })
                        await sessions.reload()
                      })
                    }
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <p class="hint">
          Revoking a session stops its refresh token at once; an access token it already holds
          lapses at its expiry. Revoking this browser’s own session signs it out at its next
          refresh.
        </p>
      </section>
    </div>
  )
}
