import { PGlite } from '@electric-sql/pglite'

const a = await PGlite.create()
await a.query('select 1')
const blob = await a.dumpDataDir('none')
await a.close()
const b = await PGlite.create({ loadDataDir: blob })
await b.query('select 1')
await b.close()
setTimeout(() => {
  console.log(
    process._getActiveHandles().map((h) => h.constructor.name),
    process._getActiveRequests().length,
  )
}, 500).unref()
