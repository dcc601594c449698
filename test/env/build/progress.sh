# Progress lines for the long first builds (sourced by kube-assets.sh and
# milvus-python.sh). On a terminal (stderr is one, or MLO_PROGRESS=tty, which
# a Node parent whose own stderr is a terminal sets) one line is rewritten in
# place about once a second; anywhere else (a pipe, a CI log) a full line is
# written every MLO_PROGRESS_INTERVAL seconds (default 15), so a log shows the
# build is alive without filling up.
# Uses bash's $SECONDS instead of `date`: the loops below run once per
# compiled package.

progress_start() { # WHO: the prefix of every line
  PROGRESS_WHO="$1"
  PROGRESS_T0=$SECONDS
  PROGRESS_AT=-1000
  PROGRESS_OPEN=0
  if [ -t 2 ] || [ "${MLO_PROGRESS:-}" = tty ]; then PROGRESS_TTY=1; else PROGRESS_TTY=0; fi
  PROGRESS_EVERY="${MLO_PROGRESS_INTERVAL:-15}"
  [ "$PROGRESS_TTY" = 1 ] && PROGRESS_EVERY=1
  return 0
}

progress_duration() { # SECONDS -> "45s" / "3m05s"
  local s="$1"
  if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

# True when the next line is due (so a caller can skip working out its text).
progress_due() {
  [ $((SECONDS - PROGRESS_AT)) -ge "$PROGRESS_EVERY" ]
}

# Shows TEXT (with the elapsed time appended) if the interval has passed, or
# at once with `progress_show now TEXT`.
progress_show() {
  local force=0
  if [ "$1" = now ]; then force=1; shift; fi
  if [ $force = 0 ] && ! progress_due; then return 0; fi
  PROGRESS_AT=$SECONDS
  local line
  line="$PROGRESS_WHO: $1, $(progress_duration $((SECONDS - PROGRESS_T0))) elapsed"
  if [ "$PROGRESS_TTY" = 1 ]; then
    printf '\r\033[K%s' "$line" >&2
    PROGRESS_OPEN=1
  else
    printf '%s\n' "$line" >&2
  fi
}

# Ends an updating line, so that what follows starts on a line of its own.
progress_break() {
  if [ "$PROGRESS_OPEN" = 1 ]; then printf '\n' >&2; PROGRESS_OPEN=0; fi
  return 0
}

# Runs CMD with its output in LOG, showing "WHAT" and the elapsed time while
# it works: for steps that print nothing useful meanwhile (downloads, `go mod
# tidy`). Returns CMD's exit status.
progress_while() { # WHAT LOG CMD...
  local what="$1" log="$2"; shift 2
  "$@" >"$log" 2>&1 &
  local pid=$!
  progress_show now "$what"
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    progress_show "$what"
  done
  wait "$pid"
}
