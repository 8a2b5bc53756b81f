import { describe, expect, it } from 'vitest'
import { unreachableUrl } from './unreachable'

describe('unreachableUrl', () => {
  it('gives a 127.0.0.1 URL whose connection is refused', async () => {
    const url = await unreachableUrl()
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const failure = await fetch(url).then(
      () => 'answered',
      (error: unknown) => ((error as { cause?: { code?: string } }).cause?.code ?? String(error)),
    )
    expect(failure).toBe('ECONNREFUSED')
  })
})
