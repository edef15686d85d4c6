import nodeModule from 'node:module';

/**
 * Node 22.1 and later keep compiled code between runs (in NODE_COMPILE_CACHE, else the system's
 * temporary folder): each command then starts some 50-70 ms sooner. Imported first by main.ts, so
 * it is on before the other modules load. Node 20 has no such cache: nothing happens. A cache
 * that cannot be written only costs the time it would have saved.
 */
const withCache = nodeModule as typeof nodeModule & { enableCompileCache?: () => unknown };
try {
  withCache.enableCompileCache?.();
} catch {
  // Never a reason for a command to fail.
}
