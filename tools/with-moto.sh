#!/usr/bin/env bash
# Runs a command with one moto server (DynamoDB, SQS) on a free loopback port, shared by every
# test process through STORESYNC_MOTO_URL, and stops the server afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${MOTO_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
.venv/bin/python tools/moto_server.py "$port" $$ >/dev/null 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.1
done
export STORESYNC_MOTO_URL="http://127.0.0.1:$port"
"$@"
