#!/usr/bin/env bash
# npm run demo: a real sync from a local OpenLDAP to a local SCIM target, on 127.0.0.1 only.
# Installs what is missing (Debian packages), starts both servers with fresh sample data, syncs,
# removes a user from their group, syncs again and shows the account became inactive.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
run_dir="${DIRSYNC_RUN_DIR:-/tmp/dirsync-run}"
demo_dir="$run_dir/demo"
port="${DIRSYNC_SCIM_PORT:-18080}"

export DIRSYNC_SCIM_TOKEN="${DIRSYNC_SCIM_TOKEN:-dev-token-change-me}"
export DIRSYNC_BIND_PASSWORD="admin-secret" # the throw-away local OpenLDAP's admin password

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
dirsync() { node "$root/dist/src/cli/main.js" --config "$demo_dir/connector.yaml" "$@"; }

cd "$root"
[[ -d node_modules ]] || npm install --no-audit --no-fund
step "Building"
npm run --silent build

step "Starting OpenLDAP (fresh sample data) and the SCIM target (empty) on 127.0.0.1"
bash "$here/openldap.sh" reseed
bash "$here/scim-target.sh" reset

rm -rf "$demo_dir" && mkdir -p "$demo_dir"
# The example config as shipped points at these local servers; only the CA path may differ.
sed -e "s#/tmp/dirsync-run/#$run_dir/#" -e "s#127.0.0.1:18080#127.0.0.1:$port#" connector.example.yaml >"$demo_dir/connector.yaml"

step "dirsync validate"
dirsync validate

step "dirsync plan   (dry run: nothing is sent)"
dirsync plan --quiet

step "dirsync sync"
dirsync sync --quiet

step "What the SCIM target holds now"
node dist/scripts/show-target.js "http://127.0.0.1:$port/scim/v2"

step "Removing alice.smith from cn=engineering in the directory"
ldapmodify -x -H ldap://127.0.0.1:3389 -D cn=admin,dc=example,dc=org -w "$DIRSYNC_BIND_PASSWORD" <<'LDIF'
dn: cn=engineering,ou=groups,dc=example,dc=org
changetype: modify
delete: member
member: uid=alice.smith,ou=people,dc=example,dc=org
LDIF

step "dirsync sync   (alice.smith is deactivated, never deleted)"
dirsync sync --quiet

step "What the SCIM target holds now"
node dist/scripts/show-target.js "http://127.0.0.1:$port/scim/v2" | grep -E 'USERNAME|alice.smith'

step "dirsync status"
dirsync status

printf '\nThe servers are still running for you to explore (config: %s).\n' "$demo_dir/connector.yaml"
printf 'Stop them with: bash scripts/servers.sh down\n'
