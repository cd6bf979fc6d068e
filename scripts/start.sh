#!/usr/bin/env bash
# `pnpm start`: the notifier app, the server on the embedded database (migrated and seeded
# with the demo orders on first start) and the scheduler with an immediate first run.
# Demo tokens unless AUTH_TOKENS / SCHEDULER_TOKEN are set; ports from SERVER_PORT and
# NOTIFIER_PORT (defaults 5000 and 5002, like the original).
# `pnpm dev` (`start.sh dev`): the same, each app restarting when its code (or a package's) changes.
set -euo pipefail
script=start
if [ "${1:-}" = dev ]; then script=dev; fi
server_port=${SERVER_PORT:-5000}
notifier_port=${NOTIFIER_PORT:-5002}
# Exported, not written into the command lines below: `ps` shows command lines.
export SCHEDULER_TOKEN=${SCHEDULER_TOKEN:-demo-scheduler-token-change-me}
demo_admin_token=demo-admin-token-change-me
if [ -n "${AUTH_TOKENS:-}" ]; then demo_admin_token=''; fi
export AUTH_TOKENS=${AUTH_TOKENS:-$SCHEDULER_TOKEN:scheduler,$demo_admin_token:admin}
export NOTIFIER_BASE_URL=http://127.0.0.1:$notifier_port
export SERVER_URL=http://127.0.0.1:$server_port
export RUN_ON_START=true

# The server serves the admin app from apps/admin/dist: build it first (turbo caches it).
pnpm exec turbo run build --filter=@ocs/admin --output-logs=errors-only >&2
echo "admin app: http://127.0.0.1:$server_port/admin/"
if [ -n "$demo_admin_token" ]; then
  echo "  sign in with the demo admin token: $demo_admin_token (set AUTH_TOKENS to use your own)"
fi

exec concurrently --kill-others --names notifier,server,scheduler \
  --prefix-colors blue,green,magenta \
  "PORT=$notifier_port pnpm --silent --filter @ocs/notifier $script" \
  "PORT=$server_port pnpm --silent --filter @ocs/server $script" \
  "pnpm --silent --filter @ocs/scheduler $script"
