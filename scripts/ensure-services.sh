#!/usr/bin/env bash
# Make sure the PostgreSQL and Redis that the storage, API and scale-out tests use are running
# on loopback; start them with the machine's own commands when they stopped. Prints what it did.
set -euo pipefail

if command -v pg_isready >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 -p 5432
else
  echo "PostgreSQL client tools not found: PostgreSQL tests will skip (required in CI)"
fi

if command -v redis-cli >/dev/null 2>&1; then
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
  echo "redis: $(redis-cli -h 127.0.0.1 -p 6379 ping)"
else
  echo "Redis client tools not found: Redis tests will skip (required in CI)"
fi
