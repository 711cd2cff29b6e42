#!/usr/bin/env bash
# Installs (Debian packages, when missing: it says which, and asks for root through sudo -n) and starts
# what the integration tests use: a throwaway PostgreSQL server on 127.0.0.1:${KILOGLOT_PGPORT:-54329}
# (trust auth, data in /tmp) and Chromium for the web-page test. Prints the PostgreSQL URL on stdout;
# everything else on stderr. Safe to run again: an already running server is reused.
#   scripts/test_services.sh stop   stops the server, if this script started it (make test does this
#                                   after the suite; a server you started yourself is left running)
set -euo pipefail
PORT="${KILOGLOT_PGPORT:-54329}"
DATA="${KILOGLOT_PGDATA:-/tmp/kiloglot-pg-$PORT}"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }
if [ "$(id -u)" -eq 0 ]; then RUN=(runuser -u postgres --); else RUN=(); fi

if [ "${1:-}" = "stop" ]; then
  PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  if [ -n "$PGBIN" ] && [ -f "$DATA/started-by-kiloglot" ]; then
    "${RUN[@]}" "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 && echo "stopped the test PostgreSQL server on port $PORT" >&2
    rm -rf "$DATA" 2>/dev/null || as_root rm -rf "$DATA" || true
  fi
  exit 0
fi

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# fonts only make the page test's screenshot legible in every script (CJK, Arabic, Devanagari, Thai...)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
[ -d /usr/share/fonts/truetype/noto ] || missing+=(fonts-noto-core)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages for the integration tests: ${missing[*]} (apt-get, as root)" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
    || { echo "could not install ${missing[*]}: the tests that need them will say so" >&2; }
fi

PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -n "$PGBIN" ] || { echo "no PostgreSQL server binaries" >&2; exit 1; }
if ! "${RUN[@]}" "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  rm -rf "$DATA"
  mkdir -p "$DATA"
  [ "$(id -u)" -eq 0 ] && chown postgres "$DATA"
  "${RUN[@]}" "$PGBIN/initdb" -D "$DATA" -A trust -U postgres -E UTF8 >/dev/null
  "${RUN[@]}" "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
    -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1" start >&2
  touch "$DATA/started-by-kiloglot"
  echo "started a test PostgreSQL server on port $PORT (data in $DATA)" >&2
fi
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
