import { expect, test } from 'vitest'

import { clientSecretBasic } from './client-secret-basic.ts'

const decode = (header: string) => atob(header.slice('Basic '.length))

test('plain credentials are joined by a colon and base64-encoded', () => {
  expect(clientSecretBasic('reports', 's3cret')).toBe(`Basic ${btoa('reports:s3cret')}`)
})

test('both parts are form-urlencoded first (RFC 6749 §2.3.1, Appendix B)', () => {
  // application/x-www-form-urlencoded keeps only alphanumerics and *-._, and turns space into
  // '+': unlike encodeURIComponent it escapes !'()~ too.
  expect(decode(clientSecretBasic('a b', `p@ss:w%rd +&=é~!*'()`))).toBe(
    'a+b:p%40ss%3Aw%25rd+%2B%26%3D%C3%A9%7E%21*%27%28%29',
  )
})

test('a colon in the client id cannot be confused with the separator', () => {
  const [id, secret] = decode(clientSecretBasic('svc:1', 'x:y')).split(':')
  expect([id, secret]).toEqual(['svc%3A1', 'x%3Ay'])
})

test('non-Latin-1 characters are encoded as UTF-8 (btoa alone would throw)', () => {
  expect(decode(clientSecretBasic('客户', '🔑'))).toBe('%E5%AE%A2%E6%88%B7:%F0%9F%94%91')
})
