import { describe, expect, it } from 'vitest'

import { parseReportsConfig, ReportsConfigError } from './config.ts'

const BASE = {
  WARDEN_URL: 'https://auth.example.com',
  REPORTS_CLIENT_ID: 'reports',
  REPORTS_CLIENT_SECRET: 'wcs_secret',
}

function problems(env: Record<string, string>, readFile?: (path: string) => string) {
  try {
    parseReportsConfig(env, readFile === undefined ? {} : { readFile })
  } catch (error) {
    expect(error).toBeInstanceOf(ReportsConfigError)
    return (error as ReportsConfigError).problems
  }
  throw new Error('accepted')
}

describe('parseReportsConfig', () => {
  it('applies the defaults', () => {
    expect(parseReportsConfig(BASE)).toEqual({
      production: false,
      port: 3100,
      host: '127.0.0.1',
      audience: 'warden-reports',
      wardenUrl: 'https://auth.example.com',
      apiAudience: 'warden-api',
      clientId: 'reports',
      clientSecret: 'wcs_secret',
      logLevel: 'info',
    })
    expect(Object.isFrozen(parseReportsConfig(BASE))).toBe(true)
  })

  it('reads the secret from a file, without its final newline', () => {
    const { REPORTS_CLIENT_SECRET: _, ...rest } = BASE
    const config = parseReportsConfig(
      { ...rest, REPORTS_CLIENT_SECRET_FILE: '/run/secrets/reports' },
      { readFile: (path) => (path === '/run/secrets/reports' ? 'wcs_from_file\n' : '') },
    )
    expect(config.clientSecret).toBe('wcs_from_file')
    expect(
      problems({ ...rest, REPORTS_CLIENT_SECRET_FILE: '/missing' }, () => {
        throw new Error('ENOENT')
      }),
    ).toEqual(['REPORTS_CLIENT_SECRET_FILE: cannot read /missing'])
  })

  it('lists every problem at once', () => {
    expect(problems({})).toEqual([
      'WARDEN_URL: required (the Warden issuer URL)',
      'REPORTS_CLIENT_ID: required',
      'REPORTS_CLIENT_SECRET or REPORTS_CLIENT_SECRET_FILE: required',
    ])
    expect(problems({ ...BASE, REPORTS_CLIENT_SECRET_FILE: '/x' })).toEqual([
      'REPORTS_CLIENT_SECRET, REPORTS_CLIENT_SECRET_FILE: set one, not both',
    ])
    expect(problems({ ...BASE, WARDEN_URL: 'ftp://auth.example.com' })[0]).toMatch(/^WARDEN_URL/)
    expect(problems({ ...BASE, PORT: '70000' })[0]).toMatch(/^PORT/)
  })

  it('wants https in production', () => {
    expect(
      problems({ ...BASE, NODE_ENV: 'production', WARDEN_URL: 'http://auth.example.com' }),
    ).toEqual(['WARDEN_URL: must be an https:// URL in production'])
    expect(parseReportsConfig({ ...BASE, NODE_ENV: 'production' }).production).toBe(true)
  })
})
