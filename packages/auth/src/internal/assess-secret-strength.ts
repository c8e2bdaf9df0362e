export const MIN_SECRET_BYTES = 32

// Strings that tutorials, README files and .env examples put in HMAC secrets.
const DICTIONARY = [
  'secret',
  'changeme',
  'change-me',
  'password',
  'your-secret-key',
  'your-256-bit-secret',
  'jwt-secret',
  'supersecret',
  'mysecret',
  'default',
  'example',
  'test',
  'qwerty',
  '123456',
]

const LONGEST_SEQUENCE = 6

/**
 * Why a shared secret looks chosen by a person rather than drawn at random, or undefined when
 * nothing suggests that. Every threshold leaves 32 random bytes a chance of failing below
 * about 1e-10 (apart from the dictionary, about 1e-7, which generateKeySet redraws), while
 * typed text fails: ASCII text has at most ~6.5 bits per character and English far fewer.
 */
export function assessSecretStrength(secret: Uint8Array): string | undefined {
  const n = secret.length
  if (n < MIN_SECRET_BYTES)
    return `${n} bytes; at least ${MIN_SECRET_BYTES} random bytes are needed`

  const counts = new Uint32Array(256)
  let printable = true
  for (const byte of secret) {
    counts[byte] = (counts[byte] ?? 0) + 1
    if (byte < 0x20 || byte > 0x7e) printable = false
  }
  let distinct = 0
  let mostFrequent = 0
  let entropy = 0
  for (const count of counts) {
    if (count === 0) continue
    distinct++
    if (count > mostFrequent) mostFrequent = count
    const p = count / n
    entropy -= p * Math.log2(p)
  }

  if (mostFrequent * 4 > n) return 'one byte value fills more than a quarter of it'

  let run = 1
  let smallSteps = 0
  let previousStep = 0
  for (let i = 1; i < n; i++) {
    const step = (secret[i] ?? 0) - (secret[i - 1] ?? 0)
    if (step >= -1 && step <= 1) smallSteps++
    if (step === 1 || step === -1) run = step === previousStep ? run + 1 : 2
    else run = 1
    previousStep = step
    if (run >= LONGEST_SEQUENCE) return 'it contains a sequential run such as "abcdef" or "123456"'
  }
  if (smallSteps * 3 > n - 1) return 'too many neighbouring bytes are equal or consecutive'

  const lower = Buffer.from(secret).toString('latin1').toLowerCase()
  const word = DICTIONARY.find((candidate) => lower.includes(candidate))
  if (word !== undefined) return `it contains the well-known string "${word}"`

  // Random bytes are all printable with probability (95/256)^32 < 2e-14, so a printable secret
  // was typed or pasted as text. Accept it only when it carries 256 bits even by a generous
  // estimate and at least 5 bits per character: phrases (about 4 to 4.6) and hex (4 at most)
  // never do; long base64 text of random bytes does.
  if (printable) {
    return entropy < 5 || entropy * n < 256
      ? 'it is text (a passphrase, hex or similar), not random bytes'
      : undefined
  }
  // Distinct values that n random bytes show on average; a human-made secret repeats far more.
  const expectedDistinct = 256 * (1 - Math.pow(255 / 256, n))
  if (distinct < expectedDistinct / 2 || entropy < Math.log2(expectedDistinct) - 1.5) {
    return 'too few distinct bytes for its length'
  }
  return undefined
}
