import { render } from 'preact'

import { App } from './app.tsx'
import { createBrowserWarden } from './browser-warden.ts'

const root = document.getElementById('app')
if (root === null) throw new Error('index.html has no #app element')
render(<App warden={createBrowserWarden({ url: window.location.origin })} />, root)
