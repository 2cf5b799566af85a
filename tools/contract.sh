#!/usr/bin/env bash
# The API contract: schemathesis runs every operation of openapi.yaml, with all its checks and
# a fixed seed, against the dev stack binary on free loopback ports, and stops the stack.
#
#   tools/contract.sh [STORESYNC_DEV_BINARY]
#
# CONTRACT_MAX_TIME (seconds, default 120) bounds the run; CONTRACT_SEED (default 4242).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/storesync-dev}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
sf_port=$(free_port)
log=$(mktemp)
PORT=$port SF_EMULATOR_PORT=$sf_port RUST_LOG=warn "$bin" >"$log" 2>&1 &
stack=$!
trap 'kill $stack 2>/dev/null || true; wait $stack 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  if ! kill -0 $stack 2>/dev/null; then
    cat "$log" >&2
    echo "the dev stack did not start" >&2
    exit 1
  fi
  sleep 0.1
done
SCHEMATHESIS_HOOKS=tools/contract_hooks.py .venv/bin/schemathesis run openapi.yaml \
  --url "http://127.0.0.1:$port" \
  -H 'Authorization: Bearer dev:fuzz' \
  --checks all \
  -n 30 \
  --max-time "${CONTRACT_MAX_TIME:-120}" \
  --seed "${CONTRACT_SEED:-4242}"
