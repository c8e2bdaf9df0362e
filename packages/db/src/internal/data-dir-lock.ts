import { open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * PGlite keeps one Postgres in this process and takes no lock on its folder: two processes on
 * one folder (a server and `warden migrate`) would both write it and corrupt it.
 */
export class DatabaseInUseError extends Error {
  override readonly name = 'DatabaseInUseError'
  readonly code = 'database_in_use'
  /** The process that holds the folder. */
  readonly pid: number

  constructor(pid: number) {
    super(`The database folder is in use by process ${String(pid)}`)
    this.pid = pid
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return typeof err === 'object' && err !== null && Reflect.get(err, 'code') === 'EPERM'
  }
}

/**
 * Takes `<dataDir>/warden.lock` for this process (a stale lock of a dead process is taken
 * over) and returns its release.
 *
 * @throws DatabaseInUseError when a live process holds it, this one included.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, 'warden.lock')
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const file = await open(path, 'wx', 0o600)
      await file.writeFile(String(process.pid))
      await file.close()
      return () => rm(path, { force: true })
    } catch (err) {
      if (typeof err !== 'object' || err === null || Reflect.get(err, 'code') !== 'EEXIST')
        throw err
    }
    const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10)
    if (Number.isSafeInteger(holder) && holder > 0 && isAlive(holder)) {
      throw new DatabaseInUseError(holder)
    }
    await rm(path, { force: true })
  }
  throw new Error('Could not take the database folder lock')
}
