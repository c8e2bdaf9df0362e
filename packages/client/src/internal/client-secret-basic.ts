// RFC 6749 §2.3.1 and Appendix B: the client id and secret are each form-urlencoded before they
// are joined by ':' and base64-encoded; the result is ASCII, so btoa is exact.
function formUrlEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice('v='.length)
}

/** The `Authorization` value of RFC 6749 §2.3.1 `client_secret_basic`. */
export function clientSecretBasic(clientId: string, clientSecret: string): string {
  return `Basic ${btoa(`${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`)}`
}
