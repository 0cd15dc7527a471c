# Shared by scripts/demo and scripts/contract-test (source it): loopback ports, and the local
# Organizations endpoint (our realistic extension of moto, scripts/local_organizations.py, on
# 127.0.0.1, stopped on exit) with an organization in it.
PY=.venv/bin/python
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {
    for _ in $(seq 300); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done
    echo "nothing listens on port $1" >&2
    return 1
}

# Starts the realistic local Organizations (creation takes a few seconds, the AccountId exists
# only once it succeeded, at most 5 creations at once; any arguments are its settings, e.g.
# --creation-seconds 5) and creates the organization, with trusted access for the Account
# Management API (account.amazonaws.com) as the baseline properties need: sets MOTO (the
# endpoint URL) and ORG_IDS (JSON of the root and the Workloads and Sandbox OU ids).
start_local_organizations() {
    local port
    port=$(free_port)
    mkdir -p build
    $PY scripts/local_organizations.py -p "$port" "$@" > build/local-organizations.log 2>&1 &
    PIDS+=($!)
    wait_port "$port"
    MOTO="http://127.0.0.1:$port"
    ORG_IDS=$($PY scripts/local-organization.py "$MOTO" --trusted-access)
}
