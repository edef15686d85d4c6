#!/usr/bin/env bash
# Runs the SCIM 2.0 test target (scripts/scim-target) in the background.
#
#   scripts/scim-target.sh start | stop | status | restart | reset
#
# Environment:
#   DIRSYNC_RUN_DIR     run directory (default /tmp/dirsync-run); state lives in $DIRSYNC_RUN_DIR/scim/
#   DIRSYNC_SCIM_PORT   TCP port on 127.0.0.1 (default 18080)
#   DIRSYNC_SCIM_TOKEN  bearer token clients must present (default dev-token-change-me)
#
# Exit status: 0 on success (start/stop are idempotent), 1 on failure, 3 from `status` when the
# target is not running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${DIRSYNC_RUN_DIR:-/tmp/dirsync-run}"
SCIM_DIR="$RUN_DIR/scim"
DATA_FILE="$SCIM_DIR/data.json"
PID_FILE="$SCIM_DIR/scim.pid"
LOG_FILE="$SCIM_DIR/scim.log"
PORT="${DIRSYNC_SCIM_PORT:-18080}"
TOKEN="${DIRSYNC_SCIM_TOKEN:-dev-token-change-me}"
ENTRY="$ROOT/dist/scripts/scim-target/main.js"
BASE_URL="http://127.0.0.1:$PORT/scim/v2"
START_TIMEOUT_S=20
STOP_TIMEOUT_S=10

log() { printf 'scim-target: %s\n' "$*"; }
die() {
  printf 'scim-target: %s\n' "$*" >&2
  exit 1
}

# PID recorded by our last start, if that process is still ours; empty otherwise.
running_pid() {
  [[ -f "$PID_FILE" ]] || return 0
  local pid
  pid="$(tr -cd '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  # Guard against PID reuse: only a process running our entry point counts.
  local args
  args="$(ps -ww -p "$pid" -o args= 2>/dev/null || true)"
  if [[ "$args" == *scim-target/main.js* ]]; then
    printf '%s\n' "$pid"
  fi
}

# The token goes to curl on stdin, not argv, so it does not show up in `ps`.
healthy() {
  printf 'header = "Authorization: Bearer %s"\n' "$TOKEN" |
    curl -fsS --max-time 2 --config - "$BASE_URL/ServiceProviderConfig" >/dev/null 2>&1
}

show_log_tail() {
  if [[ -f "$LOG_FILE" ]]; then
    printf -- '--- last lines of %s ---\n' "$LOG_FILE" >&2
    tail -n 30 "$LOG_FILE" >&2
    printf -- '---\n' >&2
  fi
}

ensure_built() {
  if [[ ! -f "$ENTRY" ]]; then
    log "building (missing $ENTRY)"
    (cd "$ROOT" && npm run build) || die "build failed"
  fi
}

start() {
  local pid
  pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    log "already running (pid $pid) at $BASE_URL"
    return 0
  fi
  rm -f "$PID_FILE"
  ensure_built
  mkdir -p "$SCIM_DIR"
  printf '=== %s starting on port %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PORT" >>"$LOG_FILE"
  DIRSYNC_SCIM_TOKEN="$TOKEN" nohup node "$ENTRY" --port "$PORT" --data "$DATA_FILE" >>"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"

  local deadline=$((SECONDS + START_TIMEOUT_S))
  until healthy; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      show_log_tail
      die "process $pid exited during startup"
    fi
    if ((SECONDS >= deadline)); then
      kill -TERM "$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      show_log_tail
      die "not answering on $BASE_URL after ${START_TIMEOUT_S}s"
    fi
    sleep 0.2
  done
  log "running (pid $pid) at $BASE_URL"
}

stop() {
  local pid
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT_S))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "pid $pid ignored SIGTERM for ${STOP_TIMEOUT_S}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  # SIGKILL is asynchronous; wait (bounded) so a following start finds the port free.
  deadline=$((SECONDS + 5))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    die "pid $pid is still alive after SIGKILL"
  fi
  rm -f "$PID_FILE"
  log "stopped (pid $pid)"
}

status() {
  local pid
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    log "not running"
    return 3
  fi
  if healthy; then
    log "running (pid $pid) at $BASE_URL"
  else
    log "running (pid $pid) but not answering on $BASE_URL"
  fi
  return 0
}

reset() {
  stop
  # The lock file is the server's; it is stale once the server has stopped.
  rm -f "$DATA_FILE" "$DATA_FILE.lock" "$DATA_FILE-wal" "$DATA_FILE-shm"
  log "deleted $DATA_FILE"
  start
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  restart)
    stop
    start
    ;;
  reset) reset ;;
  *)
    printf 'usage: %s start|stop|status|restart|reset\n' "$0" >&2
    exit 2
    ;;
esac
