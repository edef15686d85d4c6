import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * Makes sure the real servers are up once per jest run. scripts/servers.sh is idempotent:
 * when scripts/test.sh already started them this only checks they answer.
 */
export default function globalSetup(): void {
  const root = path.resolve(__dirname, '../../..');
  execFileSync('bash', [path.join(root, 'scripts/servers.sh'), 'up'], { stdio: 'inherit', cwd: root, timeout: 600_000 });
}
