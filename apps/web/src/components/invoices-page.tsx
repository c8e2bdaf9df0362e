import { useState } from 'preact/hooks'

import { useApp } from '../app-context.ts'
import { formatMoney, parseAmount } from '../format.ts'
import { useAction, useQuery } from '../use-query.ts'
import { ErrorNote } from './error-note.tsx'

/** The tenant's invoices: list, create, and approve where the token's scope allows it. */
export function InvoicesPage() {
  const { client, identity } = useApp()
  const invoices = useQuery(() => client.api.invoices.list.query())
  const [amount, setAmount] = useState('')
  const [description, setDescription] = useState('')
  const { busy, error, run: act } = useAction(invoices.reload)
  const [invalidAmount, setInvalidAmount] = useState(false)
  const canApprove = identity.scopes.includes('invoices:approve')

  return (
    <div class="page">
      <header class="page-header">
        <div>
          <h1>Invoices</h1>
          <p class="muted">
            {canApprove
              ? 'Your token carries the invoices:approve scope: you can approve pending invoices.'
              : 'Approving needs the invoices:approve scope, which managers and admins hold.'}
          </p>
        </div>
        <button
          type="button"
          class="button"
          disabled={invoices.loading}
          onClick={() => void invoices.reload()}
        >
          Reload
        </button>
      </header>

      <form
        class="card inline-form"
        aria-label="New invoice"
        onSubmit={(event) => {
          event.preventDefault()
          const cents = parseAmount(amount)
          setInvalidAmount(cents === undefined)
          if (cents === undefined) return
          void act(async () => {
            await client.api.invoices.create.mutate({ amount: cents, description })
            setAmount('')
            setDescription('')
          })
        }}
      >
        <label class="field amount">
          <span>Amount</span>
          <input
            name="amount"
            inputMode="decimal"
            required
            placeholder="120.00"
            aria-invalid={invalidAmount}
            aria-describedby={invalidAmount ? 'amount-error' : undefined}
            value={amount}
            onInput={(event) => setAmount(event.currentTarget.value)}
          />
        </label>
        <label class="field grow">
          <span>Description</span>
          <input
            name="description"
            required
            maxLength={500}
            placeholder="Design review, November"
            value={description}
            onInput={(event) => setDescription(event.currentTarget.value)}
          />
        </label>
        <button class="button primary" type="submit" disabled={busy}>
          Create invoice
        </button>
        {invalidAmount ? (
          <p id="amount-error" class="field-error" role="alert">
            Enter a positive amount with at most two decimals, such as 120 or 99.50.
          </p>
        ) : null}
      </form>

      <ErrorNote error={error} />
      <ErrorNote error={invoices.error} title="The invoices could not be loaded." />

      <section class="card" aria-labelledby="invoices-list" aria-busy={invoices.loading}>
        <h2 id="invoices-list" class="card-title">
          All invoices{' '}
          {invoices.data === undefined ? null : <span class="count">{invoices.data.length}</span>}
        </h2>
        {invoices.data?.length === 0 ? (
          <p class="empty">No invoices yet.</p>
        ) : (
          <table class="table" data-list="invoices">
            <thead>
              <tr>
                <th scope="col">Description</th>
                <th scope="col" class="numeric">
                  Amount
                </th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invoices.data?.map((invoice) => (
                <tr key={invoice.id}>
                  <td>{invoice.description}</td>
                  <td class="numeric">{formatMoney(invoice.amount)}</td>
                  <td>
                    <span class={`badge ${invoice.status}`}>{invoice.status}</span>
                  </td>
                  <td class="actions">
                    {canApprove && invoice.status === 'pending' ? (
                      <button
                        type="button"
                        class="button subtle"
                        disabled={busy}
                        aria-label={`Approve ${invoice.description}`}
                        onClick={() =>
                          void act(() => client.api.invoices.approve.mutate({ id: invoice.id }))
                        }
                      >
                        Approve
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  )
}
