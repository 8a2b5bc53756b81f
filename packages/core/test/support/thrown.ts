/** The error a call throws; fails the test when it throws nothing. */
export function thrown(run: () => unknown): { code?: string; message: string } {
  try {
    run()
  } catch (error) {
    return error as { code?: string; message: string }
  }
  throw new Error('expected a throw, got none')
}
