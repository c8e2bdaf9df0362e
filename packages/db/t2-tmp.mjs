import { PGlite } from '@electric-sql/pglite'

const mode = process.argv[2]
const a = await PGlite.create()
await a.query('select 1')
const blob = await a.dumpDataDir('none')
await a.close()
console.log('a closed')
if (mode === 'load') {
  const b = await PGlite.create({ loadDataDir: blob })
  await b.query('select 1')
  await b.close()
  console.log('b closed')
}
