#!/usr/bin/env bash
# Private Samba 4 Active Directory DC (LDAP service only) for tests and the demo.
#
#   scripts/samba.sh start | stop | status | restart
#
# ldap://127.0.0.1:389 (StartTLS) and ldaps://127.0.0.1:636, realm EXAMPLE.TEST,
# base DC=example,DC=test, bind as Administrator@EXAMPLE.TEST / Passw0rd!Passw0rd.
# State lives in $DIRSYNC_RUN_DIR/samba (default /tmp/dirsync-run/samba); the
# domain is provisioned on the first start only and survives stop/start.
# Tests put their data under sub-OUs of OU=dirsync-tests,DC=example,DC=test.
# Status exit codes: 0 running, 3 not running. Needs root (port 389).
set -euo pipefail

LOG_TAG="samba"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

LDAP_HOST=127.0.0.1
LDAP_PORT=389
LDAPS_PORT=636
REALM=EXAMPLE.TEST
DOMAIN=EXAMPLE
BASE_DN="DC=example,DC=test"
BIND_DN="Administrator@EXAMPLE.TEST"
ADMIN_PW='Passw0rd!Passw0rd'
TEST_OU="OU=dirsync-tests,$BASE_DN"
START_TIMEOUT=60

DIR="$RUN_DIR/samba"
CONF="$DIR/etc/smb.conf"
PIDFILE="$DIR/run/samba.pid"
LOGFILE="$DIR/samba.log"
TLS_DIR="$DIR/tls"
MARKER="$DIR/.provisioned"

usage() {
  echo "usage: $0 start|stop|status|restart" >&2
  exit 2
}

# Simple bind over plain LDAP and a base search of the domain root; `timeout`
# because a hung server accepts the TCP connection and then never answers.
answering() {
  timeout 10 ldapsearch -x -H "ldap://$LDAP_HOST:$LDAP_PORT" -D "$BIND_DN" -w "$ADMIN_PW" \
    -b "$BASE_DN" -s base -o nettimeout=2 -l 5 dn >/dev/null 2>&1
}

# LDAPS with certificate verification against our own certificate.
ldaps_verifies() {
  LDAPTLS_CACERT="$TLS_DIR/cert.pem" LDAPTLS_REQCERT=demand timeout 10 \
    ldapsearch -x -H "ldaps://$LDAP_HOST:$LDAPS_PORT" -D "$BIND_DN" -w "$ADMIN_PW" \
    -b "$BASE_DN" -s base -o nettimeout=5 -l 5 dn 2>&1
}

current_pid() { running_pid "$PIDFILE" "$DIR" samba; }

samba_tool() {
  samba-tool "$@" -s "$CONF" -H "$DIR/private/sam.ldb"
}

provision() {
  local t0 out
  t0="$(now_ms)"
  log "provisioning domain $REALM into $DIR (first start only)"
  # Leftovers of an earlier, unfinished provision (ours: no marker) go away.
  find "$DIR" -mindepth 1 -maxdepth 1 ! -name tls ! -name samba.log ! -name .lock \
    -exec rm -rf {} +
  mkdir -p "$DIR/run"
  : >"$DIR/empty.conf" # keeps the system's /etc/samba/smb.conf out
  if ! samba-tool domain provision -s "$DIR/empty.conf" --targetdir="$DIR" \
    --realm="$REALM" --domain="$DOMAIN" --server-role=dc --host-name=dc1 \
    --dns-backend=NONE --use-rfc2307 --backend-store=mdb --adminpass="$ADMIN_PW" \
    --option="interfaces=127.0.0.1" --option="bind interfaces only=yes" \
    --option="server services=ldap" >"$DIR/provision.log" 2>&1; then
    die "samba-tool domain provision failed" "$DIR/provision.log"
  fi
  [[ -f "$CONF" ]] || die "provision did not write $CONF" "$DIR/provision.log"

  # Settings that provision drops or cannot take; all paths stay under $DIR.
  local extra
  extra="$(
    cat <<EOF
	ldap server require strong auth = no
	pid directory = $DIR/run/pid
	ncalrpc dir = $DIR/run/ncalrpc
	winbindd socket directory = $DIR/run/winbindd
	ntp signd socket directory = $DIR/run/ntp_signd
	tls enabled = yes
	tls keyfile = $TLS_DIR/key.pem
	tls certfile = $TLS_DIR/cert.pem
	tls cafile = $TLS_DIR/cert.pem
	ldb:nosync = true
EOF
  )"
  awk -v extra="$extra" '{ print } /^\[global\][[:space:]]*$/ { print extra }' "$CONF" >"$CONF.tmp"
  mv -f "$CONF.tmp" "$CONF"
  grep -q '^[[:space:]]*ldap server require strong auth = no' "$CONF" ||
    die "could not add the [global] settings to $CONF"

  # Test container OU, and passwords that never expire (a kept $RUN_DIR would
  # otherwise lock the Administrator out after 42 days).
  if ! out="$(TDB_NO_FSYNC=1 samba_tool ou create "$TEST_OU" 2>&1)"; then
    printf '%s\n' "$out" >>"$DIR/provision.log"
    die "could not create $TEST_OU" "$DIR/provision.log"
  fi
  if ! out="$(TDB_NO_FSYNC=1 samba_tool domain passwordsettings set --max-pwd-age=0 --min-pwd-age=0 2>&1)"; then
    printf '%s\n' "$out" >>"$DIR/provision.log"
    die "could not set the password settings" "$DIR/provision.log"
  fi
  date -u +%FT%TZ >"$MARKER"
  log "provisioned $REALM (base $BASE_DN, OU $TEST_OU) in $(elapsed_s "$t0") s"
}

cmd_start() {
  local pid t0 rc out
  t0="$(now_ms)"
  if pid="$(current_pid)"; then
    if wait_for "$START_TIMEOUT" "$pid" answering; then
      log "already running (pid $pid) on ldap://$LDAP_HOST:$LDAP_PORT ldaps://$LDAP_HOST:$LDAPS_PORT"
      return 0
    fi
    warn "samba pid $pid is alive but does not answer; restarting it"
    stop_pidfile samba "$PIDFILE" "$DIR" samba
  fi
  is_root || die "samba.sh must run as root (Samba binds port $LDAP_PORT and provisioning needs root)"
  ensure_packages samba samba-dsdb-modules samba-ad-provision samba-vfs-modules ldb-tools \
    ldap-utils openssl
  require_free_ports "$LDAP_PORT" "$LDAPS_PORT" 3268 3269
  ensure_tls_cert "$TLS_DIR" samba
  if [[ ! -f "$MARKER" ]]; then
    provision
  else
    log "using the provisioned domain in $DIR"
  fi
  mkdir -p "$DIR/run/pid" "$DIR/run/ncalrpc" "$DIR/run/winbindd" "$DIR/run/ntp_signd"
  log "starting samba on ldap://$LDAP_HOST:$LDAP_PORT ldaps://$LDAP_HOST:$LDAPS_PORT"
  start_background "$PIDFILE" "$LOGFILE" "$DIR" \
    env TDB_NO_FSYNC=1 samba -F --debug-stdout -M prefork -s "$CONF"
  pid="$STARTED_PID"
  rc=0
  wait_for "$START_TIMEOUT" "$pid" answering || rc=$?
  case "$rc" in
    0) ;;
    2)
      rm -f "$PIDFILE"
      die "samba exited during startup" "$LOGFILE"
      ;;
    *)
      stop_pidfile samba "$PIDFILE" "$DIR" samba >/dev/null 2>&1 || true
      die "samba did not answer an LDAP bind on ldap://$LDAP_HOST:$LDAP_PORT within $START_TIMEOUT s" "$LOGFILE"
      ;;
  esac
  if ! out="$(ldaps_verifies)"; then
    printf '%s\n' "$out" >&2
    stop_pidfile samba "$PIDFILE" "$DIR" samba >/dev/null 2>&1 || true
    die "LDAPS on $LDAPS_PORT does not verify with $TLS_DIR/cert.pem" "$LOGFILE"
  fi
  log "started samba (pid $pid) in $(elapsed_s "$t0") s; LDAPS verified with CA file $TLS_DIR/cert.pem"
}

cmd_stop() {
  stop_pidfile samba "$PIDFILE" "$DIR" samba
  rm -f "$DIR/run/pid/samba.pid" # Samba's own pid file, left behind on SIGTERM
}

cmd_status() {
  local pid
  if pid="$(current_pid)" && answering; then
    log "running (pid $pid) on ldap://$LDAP_HOST:$LDAP_PORT ldaps://$LDAP_HOST:$LDAPS_PORT"
    return 0
  fi
  if [[ -n "${pid:-}" ]]; then
    log "not running: process $pid is alive but does not answer on ldap://$LDAP_HOST:$LDAP_PORT"
  else
    log "not running"
  fi
  return 3
}

[[ $# -eq 1 ]] || usage
case "$1" in
  start)
    lock_dir "$DIR"
    cmd_start
    ;;
  stop)
    lock_dir "$DIR"
    cmd_stop
    ;;
  status) cmd_status ;;
  restart)
    lock_dir "$DIR"
    cmd_stop
    cmd_start
    ;;
  *) usage ;;
esac
