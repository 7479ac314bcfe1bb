# Sourced by the scripts that start `medtwin serve` on a free port.

# served_url PID OUT ERR SED: waits up to 20 s until the server (process PID,
# logging to the files OUT and ERR) has printed the line from which the sed
# expression SED extracts a URL, and prints that URL. When the server exits
# first or never prints it, prints its stderr and fails.
served_url() {
  local pid=$1 out=$2 err=$3 expr=$4 url
  for _ in $(seq 1 200); do
    url=$(sed -n "$expr" "$out")
    if [ -n "$url" ]; then echo "$url"; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$err" >&2
  return 1
}
