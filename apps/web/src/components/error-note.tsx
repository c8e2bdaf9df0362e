import { describeError } from '../describe-error.ts'

/** A failed call, said in words, announced to screen readers. */
export function ErrorNote(props: { readonly error: unknown; readonly title?: string }) {
  if (props.error === undefined) return null
  const view = describeError(props.error)
  return (
    <div class="error-note" role="alert" data-status={view.status}>
      {props.title === undefined ? null : <strong>{props.title}</strong>}
      <span>{view.text}</span>
    </div>
  )
}
