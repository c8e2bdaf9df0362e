import { useState } from 'preact/hooks'

import { useApp } from '../app-context.ts'
import { useAction, useQuery } from '../use-query.ts'
import { ErrorNote } from './error-note.tsx'

/** The tenant's projects: list, create, and delete for managers and admins. */
export function ProjectsPage() {
  const { client, identity } = useApp()
  const projects = useQuery(() => client.api.projects.list.query())
  const [name, setName] = useState('')
  const { busy, error, run: act } = useAction(projects.reload)
  const canDelete = identity.roles.includes('manager') || identity.roles.includes('admin')

  return (
    <div class="page">
      <header class="page-header">
        <div>
          <h1>Projects</h1>
          <p class="muted">Everything here belongs to your tenant; other tenants cannot see it.</p>
        </div>
        <button
          type="button"
          class="button"
          disabled={projects.loading}
          onClick={() => void projects.reload()}
        >
          Reload
        </button>
      </header>

      <form
        class="card inline-form"
        aria-label="New project"
        onSubmit={(event) => {
          event.preventDefault()
          void act(async () => {
            await client.api.projects.create.mutate({ name })
            setName('')
          })
        }}
      >
        <label class="field grow">
          <span>Project name</span>
          <input
            name="project-name"
            required
            maxLength={200}
            placeholder="Apollo"
            value={name}
            onInput={(event) => setName(event.currentTarget.value)}
          />
        </label>
        <button class="button primary" type="submit" disabled={busy}>
          Create project
        </button>
      </form>

      <ErrorNote error={error} />
      <ErrorNote error={projects.error} title="The projects could not be loaded." />

      <section class="card" aria-labelledby="projects-list" aria-busy={projects.loading}>
        <h2 id="projects-list" class="card-title">
          All projects{' '}
          {projects.data === undefined ? null : <span class="count">{projects.data.length}</span>}
        </h2>
        {projects.data?.length === 0 ? (
          <p class="empty">No projects yet: create the first one above.</p>
        ) : (
          <ul class="rows" data-list="projects">
            {projects.data?.map((project) => (
              <li key={project.id} class="row">
                <span class="avatar" aria-hidden="true">
                  {project.name.slice(0, 1).toUpperCase()}
                </span>
                <span class="row-main">
                  <span class="row-title">{project.name}</span>
                  <code class="row-sub">{project.id}</code>
                </span>
                {canDelete ? (
                  <button
                    type="button"
                    class="button subtle danger"
                    disabled={busy}
                    aria-label={`Delete ${project.name}`}
                    onClick={() =>
                      void act(() => client.api.projects.delete.mutate({ id: project.id }))
                    }
                  >
                    Delete
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  )
}
