/**
 * Baseline A: a bare ldapts paged-search loop over the same entries and attributes as dirsync's
 * users search, with nothing done per entry but counting. Run as its own process so its time
 * and peak RSS compare with a dirsync process.
 *
 *   node dist/scripts/bench/baseline-ldap.js URL BASE FILTER PAGE_SIZE ATTR...
 */
import { Client } from 'ldapts';

async function main(): Promise<void> {
  const [url, base, filter, pageSize, ...attributes] = process.argv.slice(2);
  if (!url || !base || !filter || !pageSize) throw new Error('usage: baseline-ldap.js URL BASE FILTER PAGE_SIZE ATTR...');
  const client = new Client({ url, strictDN: false });
  await client.bind('cn=admin,dc=example,dc=org', process.env['DIRSYNC_BIND_PASSWORD'] ?? '');
  let entries = 0;
  for await (const page of client.searchPaginated(base, {
    scope: 'sub',
    filter,
    attributes,
    paged: { pageSize: Number(pageSize) },
  })) {
    entries += page.searchEntries.length;
  }
  await client.unbind();
  process.stdout.write(`${JSON.stringify({ entries })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
