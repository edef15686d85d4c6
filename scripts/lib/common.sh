#!/usr/bin/env bash
# Shared helpers for scripts/openldap.sh and scripts/samba.sh.
# Source it; do not run it. Callers set LOG_TAG (prefix of every printed line)
# before using the logging helpers.
#
# Everything private lives under RUN_DIR (default /tmp/dirsync-run). Servers are
# stopped only through the PID recorded in our own pid file, never by name.

# shellcheck disable=SC2034  # RUN_DIR and REPO_ROOT are used by the sourcing scripts
RUN_DIR="${DIRSYNC_RUN_DIR:-/tmp/dirsync-run}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOG_TAG="${LOG_TAG:-dirsync}"

# RUN_DIR holds the servers' passwords (slapd.conf's rootpw), TLS keys and directory data: it is
# private to its owner (mode 0700), and so is everything these scripts create (umask 077; the
# servers run as the same user, and the public TLS certificates are made 0644 explicitly).
umask 077

# File descriptor used for the per-server lock; closed for the started server.
LOCK_FD=9

log() { printf '[%s] %s\n' "$LOG_TAG" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "$LOG_TAG" "$*" >&2; }
err() { printf '[%s] ERROR: %s\n' "$LOG_TAG" "$*" >&2; }

# die MESSAGE [LOGFILE]: print the error, the last 30 lines of LOGFILE if given, exit 1.
die() {
  err "$1"
  if [[ -n "${2:-}" ]]; then
    show_log_tail "$2"
  fi
  exit 1
}

show_log_tail() {
  local file="$1"
  if [[ -s "$file" ]]; then
    printf '[%s] ---- last 30 lines of %s ----\n' "$LOG_TAG" "$file" >&2
    tail -n 30 "$file" >&2
    printf '[%s] ---- end of %s ----\n' "$LOG_TAG" "$file" >&2
  else
    printf '[%s] (log %s is empty or missing)\n' "$LOG_TAG" "$file" >&2
  fi
}

# ensure_private_run_dir: create RUN_DIR with mode 0700, or check an existing one. A fixed path
# under /tmp can be created (or be a symbolic link) by another user before us: then refuse it,
# since its owner could read or swap what we put in it. One we own is tightened to 0700 (an older
# version of these scripts, or `mkdir -p`, left it 0755). Its parent is created as needed.
ensure_private_run_dir() {
  local dir="$RUN_DIR" owner
  [[ -n "$dir" ]] || die "DIRSYNC_RUN_DIR is empty"
  mkdir -p -- "$(dirname -- "$dir")" || die "cannot create the parent folder of $dir"
  mkdir -m 700 -- "$dir" 2>/dev/null || true
  [[ ! -L "$dir" ]] || die "$dir is a symbolic link; refusing it as the private run directory (set DIRSYNC_RUN_DIR to another folder)"
  [[ -d "$dir" ]] || die "cannot create the run directory $dir (a file of that name exists?)"
  owner="$(stat -c %u -- "$dir")" || die "cannot stat $dir"
  [[ "$owner" == "$(id -u)" ]] ||
    die "$dir belongs to uid $owner, not to you (uid $(id -u)); refusing it as the private run directory (set DIRSYNC_RUN_DIR to another folder)"
  chmod 700 -- "$dir" || die "cannot make $dir private (chmod 700)"
}

# Seconds since the epoch with millisecond precision, and elapsed time since a mark.
now_ms() { date +%s%3N; }
elapsed_s() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# ensure_packages PKG...: install the Debian packages that are missing.
# apt-get update runs only when something is missing; sudo only when not root.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]]; then
      missing+=("$pkg")
    fi
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  log "installing missing packages: ${missing[*]}"
  local sudo=()
  if ! is_root; then
    command -v sudo >/dev/null 2>&1 || die "packages missing (${missing[*]}) and not root and no sudo"
    sudo=(sudo)
  fi
  # The system's default umask for apt and the packages' maintainer scripts: files they create
  # (system configs, /var/lib/...) must stay readable by the services' own users.
  (umask 022 && exec "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q) >/dev/null ||
    die "apt-get update failed"
  (umask 022 && exec "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends "${missing[@]}") >/dev/null || die "apt-get install ${missing[*]} failed"
  log "installed: ${missing[*]}"
}

# lock_dir DIR: serialise concurrent invocations of one script on one server. Every start and
# stop goes through here first, so this is where the private RUN_DIR is made sure of.
lock_dir() {
  ensure_private_run_dir
  mkdir -p "$1"
  eval "exec ${LOCK_FD}>\"\$1/.lock\""
  flock -w 300 "$LOCK_FD" || die "could not lock $1/.lock within 300 s (another start/stop hangs?)"
}

# wait_for TIMEOUT_S WATCH_PID CMD...: run CMD (silently) every 0.2 s until it
# succeeds (return 0), TIMEOUT_S passes (return 1), or WATCH_PID, when not "-",
# is no longer alive (return 2).
wait_for() {
  local timeout="$1" watch="$2"
  shift 2
  local deadline=$(($(now_ms) + timeout * 1000))
  while :; do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    if [[ "$watch" != "-" ]] && ! pid_alive "$watch"; then
      return 2
    fi
    if (($(now_ms) >= deadline)); then
      return 1
    fi
    sleep 0.2
  done
}

# port_in_use PORT: true if something listens on 127.0.0.1:PORT or a wildcard address.
port_in_use() {
  local port="$1"
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

# port_holder PORT: best-effort description of who listens on PORT.
port_holder() {
  local port="$1"
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$port" 2>/dev/null | awk '{ $1 = $1; print }' | head -n 3
  fi
}

# require_free_ports PORT...: die with a clear message if a port is taken.
require_free_ports() {
  local port holder
  for port in "$@"; do
    if port_in_use "$port"; then
      holder="$(port_holder "$port")"
      die "port $port is already in use by another process${holder:+: $holder}. Stop that process (it is not ours) and retry."
    fi
  done
}

# read_pid PIDFILE: print the PID recorded in PIDFILE (digits only) or nothing.
read_pid() {
  local pid=""
  [[ -f "$1" ]] && read -r pid <"$1" 2>/dev/null
  [[ "$pid" =~ ^[0-9]+$ ]] && printf '%s' "$pid"
  return 0
}

# pid_matches PID DIR EXE: true if PID is alive, runs the executable named EXE
# and has DIR as its working directory (start_background starts servers there).
# A recycled PID is never mistaken for our server, and this works even when the
# server rewrites its command line (Samba does).
pid_matches() {
  local pid="$1" dir="$2" exe="$3" cwd
  [[ -n "$pid" ]] && pid_alive "$pid" || return 1
  [[ "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)")" == "$exe" ]] || return 1
  cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null)" || return 1
  cwd="${cwd% (deleted)}"
  [[ "$cwd" == "$(cd "$dir" 2>/dev/null && pwd -P || printf '%s' "$dir")" ]]
}

# running_pid PIDFILE DIR EXE: print the PID if our server process is alive.
# A stale pid file (dead or foreign PID) is removed.
running_pid() {
  local pidfile="$1" dir="$2" exe="$3" pid
  pid="$(read_pid "$pidfile")"
  if [[ -n "$pid" ]] && pid_matches "$pid" "$dir" "$exe"; then
    printf '%s' "$pid"
    return 0
  fi
  if [[ -f "$pidfile" ]]; then
    rm -f "$pidfile"
  fi
  return 1
}

# start_background PIDFILE LOGFILE DIR CMD...: start CMD with working directory
# DIR in its own session (so it is a process group leader and survives the
# caller's Ctrl-C), stdin from /dev/null, stdout+stderr appended to LOGFILE, and
# record its PID in PIDFILE.
start_background() {
  local pidfile="$1" logfile="$2" dir="$3"
  shift 3
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")" "$dir"
  printf '==== %s starting: %s\n' "$(date -u +%FT%TZ)" "$*" >>"$logfile"
  # Non-interactive bash has no job control, so the background child is not a
  # group leader and setsid execs in place: $! is the server's own PID.
  (cd "$dir" && exec setsid "$@") </dev/null >>"$logfile" 2>&1 {LOCK_FD}>&- &
  local pid=$!
  printf '%s\n' "$pid" >"$pidfile"
  STARTED_PID="$pid"
}

# signal_pid PID SIGNAL: signal the whole process group when PID leads one,
# else only PID.
signal_pid() {
  local pid="$1" sig="$2" pgid
  pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')"
  if [[ "$pgid" == "$pid" ]]; then
    kill "-$sig" -- "-$pid" 2>/dev/null || true
  else
    kill "-$sig" "$pid" 2>/dev/null || true
  fi
}

# pid_alive PID: true if PID exists and is not a zombie (an unreaped zombie
# still answers kill -0).
pid_alive() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state="$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)"
  [[ -n "$state" && "$state" != "Z" ]]
}

# group_alive PGID: true while any non-zombie process of the group exists.
group_alive() {
  ps -e -o pgid=,stat= 2>/dev/null | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

# stop_pidfile NAME PIDFILE DIR EXE: stop our server (TERM, wait up to 10 s,
# then KILL), including its worker processes. Returns 0 if it was not running.
stop_pidfile() {
  local name="$1" pidfile="$2" dir="$3" exe="$4" pid t0 i
  if ! pid="$(running_pid "$pidfile" "$dir" "$exe")"; then
    log "$name is not running"
    return 0
  fi
  t0="$(now_ms)"
  log "stopping $name (pid $pid)"
  signal_pid "$pid" TERM
  for ((i = 0; i < 50; i++)); do
    if ! pid_alive "$pid" && ! group_alive "$pid"; then
      break
    fi
    sleep 0.2
  done
  if pid_alive "$pid" || group_alive "$pid"; then
    warn "$name (pid $pid) did not stop within 10 s; sending KILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 25; i++)); do
      pid_alive "$pid" || group_alive "$pid" || break
      sleep 0.2
    done
  fi
  if pid_alive "$pid"; then
    die "$name (pid $pid) is still alive after KILL"
  fi
  rm -f "$pidfile"
  log "stopped $name in $(elapsed_s "$t0") s"
}

# ensure_tls_cert DIR CN: self-signed certificate (its own CA) with
# subjectAltName DNS:localhost,IP:127.0.0.1 in DIR/cert.pem, key in DIR/key.pem
# (mode 0600). Kept while it matches its key and is valid for one more day.
ensure_tls_cert() {
  local dir="$1" cn="$2"
  if [[ -s "$dir/cert.pem" && -s "$dir/key.pem" ]] &&
    openssl x509 -in "$dir/cert.pem" -noout -checkend 86400 >/dev/null 2>&1 &&
    [[ "$(openssl x509 -in "$dir/cert.pem" -noout -pubkey 2>/dev/null)" == \
    "$(openssl pkey -in "$dir/key.pem" -pubout 2>/dev/null)" ]]; then
    chmod 600 "$dir/key.pem"
    return 0
  fi
  mkdir -p "$dir"
  chmod 700 "$dir"
  cat >"$dir/openssl.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3
[dn]
CN = localhost
O = dirsync test ($cn)
[v3]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature,keyEncipherment,keyCertSign
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
EOF
  local out
  if ! out="$(umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
    -config "$dir/openssl.cnf" -keyout "$dir/key.pem.tmp" -out "$dir/cert.pem.tmp" 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "openssl could not create the certificate in $dir"
  fi
  mv -f "$dir/key.pem.tmp" "$dir/key.pem"
  mv -f "$dir/cert.pem.tmp" "$dir/cert.pem"
  chmod 600 "$dir/key.pem"
  chmod 644 "$dir/cert.pem"
  log "generated self-signed TLS certificate $dir/cert.pem (SAN DNS:localhost,IP:127.0.0.1)"
}
