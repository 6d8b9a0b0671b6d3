#!/usr/bin/env bash
# OpenAPI fuzzing: schemathesis with all checks against the live server's
# /openapi.json, authenticated as the administrator, bounded and seeded.
# Usage: .ci/fuzz.sh <schemathesis binary> <server binary>
set -euo pipefail
st=$1
server=$2
dir=$(mktemp -d)
port=18390
password="fuzz-$(date +%s%N)-passphrase"
DIRECTORY_PROFILE=development DIRECTORY_CONFIG_DIR="$PWD/config" \
  DIRECTORY_ADMIN_PASSWORD="$password" DIRECTORY_SERVER__BIND="127.0.0.1:$port" \
  DIRECTORY_DATABASE__URL="sqlite://$dir/fuzz.db" DIRECTORY_LOG__LEVEL=warn \
  "$server" >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.2
done
# A login, from the loopback address given (default 127.0.0.1).
token() {
  curl -sf --interface "${1:-127.0.0.1}" -X POST "http://127.0.0.1:$port/api/v1/auth/login" \
    -H 'content-type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$password\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
common=(--config-file .ci/schemathesis.toml run "http://127.0.0.1:$port/openapi.json"
  --checks all -n 15 --seed 1 --workers 2 --suppress-health-check=filter_too_much)
# Everything but the two operations that end the fuzzer's own session...
"$st" "${common[@]}" -H "Authorization: Bearer $(token)" \
  --exclude-path /api/v1/auth/logout --exclude-path /api/v1/auth/password
# ...which get a token of their own, from another loopback address: the
# first run sent wrong passwords from 127.0.0.1, which is locked out for a
# while (a token asked for from there came back empty, and this run went
# unauthenticated). As an assignment, a failed login stops the script.
second=$(token 127.0.0.2)
"$st" "${common[@]}" -H "Authorization: Bearer $second" \
  --include-path /api/v1/auth/logout --include-path /api/v1/auth/password
if grep -q 'ERROR\|panicked' "$dir/server.log"; then
  echo "the server logged an error or a panic:"; cat "$dir/server.log"; exit 1
fi
echo "schemathesis: no failures"
