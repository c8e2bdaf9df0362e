import type { ComponentChildren } from 'preact'

/**
 * An in-app link: a real `<a href>` (so it opens in a new tab, and works without this script),
 * followed with the History API on a plain click.
 */
export function Link(props: {
  readonly href: string
  readonly navigate: (path: string) => void
  readonly current?: boolean
  readonly class?: string
  readonly children: ComponentChildren
}) {
  return (
    <a
      href={props.href}
      class={props.class}
      aria-current={props.current === true ? 'page' : undefined}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
          return
        event.preventDefault()
        props.navigate(props.href)
      }}
    >
      {props.children}
    </a>
  )
}
