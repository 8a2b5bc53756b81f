// Next.js runs register() once when a server starts, before it serves a request. The demo checks
// the Authlete configuration there (docs/nextjs.md, "Checking the configuration at start-up"):
// with a wrong AUTHLETE_* value `next start` prints the cause and exits 1. (A register() that
// throws would leave Next 16 running, answering every request with 500.) Route modules are
// bundled apart from this file, so the check uses a guard of its own and closes it.
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { authleteOptionsFromEnv, createGuard } = await import('@authlete-guard/next')
    const guard = createGuard({ authlete: authleteOptionsFromEnv() })
    try {
      await guard.ready()
    } catch (error) {
      console.error('authlete-guard: the Authlete configuration does not work:', error)
      process.exit(1)
    } finally {
      await guard.close()
    }
  }
}
