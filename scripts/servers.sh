#!/usr/bin/env bash
# Starts (up) or stops (down) every real server the tests and the demo need, on 127.0.0.1:
# OpenLDAP, the Samba AD domain controller and the SCIM target. Idempotent both ways.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

case "${1:-}" in
  up)
    # systemd-analyze: tests verify the dirsync.service unit that `dirsync service install` writes.
    (
      # shellcheck source=scripts/lib/common.sh disable=SC2034  # LOG_TAG is read by common.sh
      LOG_TAG=servers && source "$here/lib/common.sh" && ensure_packages systemd
    )
    bash "$here/openldap.sh" start
    bash "$here/samba.sh" start
    bash "$here/scim-target.sh" start
    ;;
  down)
    status=0
    bash "$here/scim-target.sh" stop || status=1
    bash "$here/samba.sh" stop || status=1
    bash "$here/openldap.sh" stop || status=1
    exit "$status"
    ;;
  status)
    status=0
    for s in openldap samba scim-target; do
      bash "$here/$s.sh" status || status=3
    done
    exit "$status"
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
