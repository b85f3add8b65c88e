# Helpers for the nutgraf-serve cases (tests/cli/cases/serve*.sh), sourced
# after tests/cli/lib.sh.  A case starts servers with start_server; every
# server it started is stopped when the case ends, however it ends.
#   NG_SERVE_LOAD=1  the long forms of the load tests (see serve-live.sh)
export PATH="$NG_BIN/serve:$PATH"
command -v nutgraf-serve >/dev/null 2>&1 || skip "nutgraf-serve was not built (no libmicrohttpd)"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
CLIENT="$NG_SRC/tests/serve/client.py"
SERVERS=""

# The cleanup of run-case.sh, after stopping the servers still running.
trap 'for p in $SERVERS; do kill -KILL "$p" 2>/dev/null; done; [ -n "${NG_SERVE_LOG_KEEP:-}" ] && grep -h " 5[0-9][0-9] \|error" "$T"/*.err >"$NG_SERVE_LOG_KEEP" 2>/dev/null; chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT

# start_server ARGS...: starts nutgraf-serve on a free loopback port (port
# 0: the kernel picks one) with ARGS; sets SERVE_PID, PORT and URL.  Its
# standard error (the start line and the request log) goes to $SERVE_ERR
# (default $T/serve.err).  Fails the check when it does not start.
start_server() {
  SERVE_ERR=${SERVE_ERR:-$T/serve.err}
  : >"$SERVE_ERR"
  nutgraf-serve --listen 127.0.0.1:0 "$@" 2>>"$SERVE_ERR" &
  SERVE_PID=$!
  SERVERS="$SERVERS $SERVE_PID"
  PORT=""
  for _ in $(seq 200); do
    PORT=$(sed -n 's#^nutgraf-serve: listening on http://127\.0\.0\.1:\([0-9]*\)/.*#\1#p' "$SERVE_ERR")
    [ -n "$PORT" ] && break
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.05
  done
  URL="http://127.0.0.1:$PORT"
  if [ -z "$PORT" ]; then
    fail "nutgraf-serve $* did not start" "$(head -c 600 "$SERVE_ERR")"
    return 1
  fi
}

# stop_server: SIGTERM, wait; SERVE_STATUS is its exit status.
stop_server() {
  kill -TERM "$SERVE_PID" 2>/dev/null
  wait "$SERVE_PID"
  SERVE_STATUS=$?
}

# http PATH [CURL ARGS...]: GET with curl; BODY, CODE and HEADERS are set.
http() {
  local path=$1
  shift
  rm -f "$T/body" "$T/headers"
  CODE=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' "$@" "$URL$path")
  BODY=$(cat "$T/body" 2>/dev/null)
  HEADERS=$(tr -d '\r' <"$T/headers")
}

# json_get EXPR: a Python expression on the last BODY as j.
json_get() { printf '%s' "$BODY" | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
