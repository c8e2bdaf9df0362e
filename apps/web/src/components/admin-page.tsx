import { useState } from 'preact/hooks'

import { useApp } from '../app-context.ts'
import { formatDateTime } from '../format.ts'
import { useAction, useQuery } from '../use-query.ts'
import { ErrorNote } from './error-note.tsx'

const ROLES = ['member', 'manager', 'admin'] as const

interface UserRow {
  readonly id: string
  readonly email: string
  readonly roles: readonly string[]
  readonly createdAt: string
}

function RolesEditor(props: {
  readonly user: UserRow
  readonly busy: boolean
  readonly onSave: (roles: string[]) => void
}) {
  const [roles, setRoles] = useState<readonly string[]>(props.user.roles)
  const changed =
    roles.length !== props.user.roles.length ||
    roles.some((role) => !props.user.roles.includes(role))
  return (
    <fieldset class="roles">
      <legend class="visually-hidden">Roles of {props.user.email}</legend>
      {ROLES.map((role) => (
        <label key={role} class="chip-toggle">
          <input
            type="checkbox"
            checked={roles.includes(role)}
            onChange={(event) => {
              const on = event.currentTarget.checked
              setRoles((current) =>
                on ? [...current, role] : current.filter((held) => held !== role),
              )
            }}
          />
          <span>{role}</span>
        </label>
      ))}
      <button
        type="button"
        class="button subtle"
        disabled={props.busy || !changed || roles.length === 0}
        onClick={() => props.onSave([...roles])}
      >
        Save
      </button>
    </fieldset>
  )
}

/**
 * Tenant administration (`admin.users.list`, `admin.users.setRoles`). The navigation shows it
 * only to admins; anyone else who opens it gets the server's refusal, shown as it came.
 */
export function AdminPage() {
  const { client } = useApp()
  const users = useQuery(() => client.api.admin.users.list.query())
  const [revokeTokens, setRevokeTokens] = useState(true)
  const { busy, error, run } = useAction(users.reload)

  const save = (userId: string, roles: string[]) =>
    run(() => {
      const valid = roles.filter((role): role is (typeof ROLES)[number] =>
        (ROLES as readonly string[]).includes(role),
      )
      return client.api.admin.users.setRoles.mutate({ userId, roles: valid, revokeTokens })
    })

  return (
    <div class="page">
      <header class="page-header">
        <div>
          <h1>Admin</h1>
          <p class="muted">The users of your tenant and their roles.</p>
        </div>
      </header>

      {users.error === undefined ? null : (
        <section class="card refused" aria-labelledby="refused-title">
          <h2 id="refused-title" class="card-title">
            This page is for admins
          </h2>
          <ErrorNote error={users.error} />
          <p class="muted">
            The link is hidden from you, and the server checks the role in your access token on
            every call anyway.
          </p>
        </section>
      )}

      {users.data === undefined ? null : (
        <section class="card" aria-labelledby="users-title">
          <div class="card-head">
            <h2 id="users-title" class="card-title">
              Users <span class="count">{users.data.length}</span>
            </h2>
            <label class="check">
              <input
                type="checkbox"
                checked={revokeTokens}
                onChange={(event) => setRevokeTokens(event.currentTarget.checked)}
              />
              <span>Apply at once (revoke their current access tokens)</span>
            </label>
          </div>
          <ErrorNote error={error} />
          <table class="table" data-list="users">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Since</th>
                <th scope="col">Roles</th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((user) => (
                <tr key={`${user.id}:${user.roles.join(',')}`}>
                  <td>{user.email}</td>
                  <td class="muted">{formatDateTime(Date.parse(user.createdAt))}</td>
                  <td>
                    <RolesEditor
                      user={user}
                      busy={busy}
                      onSave={(roles) => void save(user.id, roles)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  )
}
