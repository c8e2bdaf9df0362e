import { useState } from 'preact/hooks'

import { ErrorNote } from './error-note.tsx'

/** What the sign-in page asks of the app. */
export interface SignInActions {
  readonly signIn: (email: string, password: string) => Promise<void>
  readonly register: (input: { email: string; password: string; name?: string }) => Promise<void>
}

/**
 * Sign in, or create an account (which signs in right after). The password never leaves this
 * form except in the `auth.login` / `auth.register` body over the same origin.
 */
export function SignInPage(props: SignInActions) {
  const [mode, setMode] = useState<'sign-in' | 'register'>('sign-in')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [name, setName] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(undefined)
  const registering = mode === 'register'

  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      if (registering) {
        const trimmed = name.trim()
        await props.register({ email, password, ...(trimmed === '' ? {} : { name: trimmed }) })
      } else {
        await props.signIn(email, password)
      }
    } catch (failure) {
      setError(failure)
      setBusy(false)
    }
  }

  return (
    <div class="sign-in">
      <section class="sign-in-intro" aria-labelledby="intro-title">
        <h1 id="intro-title">Your tenant’s projects and invoices, kept safe.</h1>
        <p class="lead">This app shows the secure way to use Warden from a browser.</p>
        <ul class="facts">
          <li>
            <strong>Refresh token</strong> only in an <code>HttpOnly</code>, <code>Secure</code>,{' '}
            <code>SameSite=Strict</code> cookie: no script can read it.
          </li>
          <li>
            <strong>Access token</strong> only in memory, short-lived, renewed when a call needs it;
            never in storage, never in a URL.
          </li>
          <li>
            <strong>Content-Security-Policy</strong> without inline scripts or styles, with Trusted
            Types.
          </li>
          <li>
            <strong>Tabs agree</strong>: one refresh for all of them, so a rotated token is never
            presented twice.
          </li>
        </ul>
      </section>

      <section class="card sign-in-card" aria-labelledby="form-title">
        <div class="tabs" role="tablist" aria-label="Account">
          <button
            type="button"
            role="tab"
            id="tab-sign-in"
            aria-selected={!registering}
            aria-controls="account-form"
            onClick={() => {
              setMode('sign-in')
              setError(undefined)
            }}
          >
            Sign in
          </button>
          <button
            type="button"
            role="tab"
            id="tab-register"
            aria-selected={registering}
            aria-controls="account-form"
            onClick={() => {
              setMode('register')
              setError(undefined)
            }}
          >
            Create account
          </button>
        </div>
        <div
          id="account-form"
          role="tabpanel"
          aria-labelledby={registering ? 'tab-register' : 'tab-sign-in'}
        >
          <form class="stack" onSubmit={(event) => void submit(event)}>
            <h2 id="form-title" class="visually-hidden">
              {registering ? 'Create an account' : 'Sign in'}
            </h2>
            {registering ? (
              <label class="field">
                <span>Name (optional)</span>
                <input
                  name="name"
                  autocomplete="name"
                  maxLength={100}
                  value={name}
                  onInput={(event) => setName(event.currentTarget.value)}
                />
              </label>
            ) : null}
            <label class="field">
              <span>Email</span>
              <input
                name="email"
                type="email"
                autocomplete="username"
                required
                maxLength={254}
                value={email}
                onInput={(event) => setEmail(event.currentTarget.value)}
              />
            </label>
            <label class="field">
              <span>Password</span>
              <input
                name="password"
                type="password"
                autocomplete={registering ? 'new-password' : 'current-password'}
                required
                minLength={registering ? 12 : 1}
                maxLength={1024}
                value={password}
                onInput={(event) => setPassword(event.currentTarget.value)}
              />
            </label>
            {registering ? (
              <p class="hint">At least 12 characters; a passphrase of a few words is best.</p>
            ) : null}
            <ErrorNote error={error} />
            <button class="button primary" type="submit" disabled={busy}>
              {busy ? 'Please wait…' : registering ? 'Create account' : 'Sign in'}
            </button>
          </form>
        </div>
      </section>
    </div>
  )
}
