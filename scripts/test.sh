#!/usr/bin/env bash
# The end of `npm test`: starts the real servers once, runs every jest project (unit and
# end-to-end), stops the servers by their recorded PIDs, and exits with jest's status.
# Jest's results are also written as JSON to $DIRSYNC_RUN_DIR/jest-results.json for .ci/run.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
run_dir="${DIRSYNC_RUN_DIR:-/tmp/dirsync-run}"
mkdir -p "$run_dir"

cleanup() { bash "$here/servers.sh" down >/dev/null 2>&1 || true; }
trap cleanup EXIT

bash "$here/servers.sh" up || exit 1

cd "$root"
npx jest --ci --json --outputFile="$run_dir/jest-results.json" "$@"
