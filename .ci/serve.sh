# Sourced by the scripts that drive a live server. `serve NAME [VAR=value
# ...]` starts "$server" on a fresh SQLite database "$dir/NAME.db", listening
# on "$port", with "$password" for the admin account it seeds and the extra
# settings given; its log is "$dir/NAME.log" and its pid "$pid". It returns
# once /readyz answers.
serve() {
  local name=$1
  shift
  env DIRECTORY_PROFILE=development DIRECTORY_CONFIG_DIR="$PWD/config" \
    DIRECTORY_ADMIN_PASSWORD="$password" DIRECTORY_SERVER__BIND="127.0.0.1:$port" \
    DIRECTORY_DATABASE__URL="sqlite://$dir/$name.db" DIRECTORY_LOG__LEVEL=warn \
    "$@" "$server" >"$dir/$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return
    sleep 0.2
  done
  echo "the server did not become ready:"; cat "$dir/$name.log"; return 1
}
