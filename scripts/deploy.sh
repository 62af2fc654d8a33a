#!/usr/bin/env bash
# Deploys the stack to AWS: `sam build`, then `sam deploy`.
#
# The first deploy is guided (`sam deploy --guided`): SAM asks for the stack
# name, region and parameters and saves them in infra/samconfig.toml; later
# deploys reuse them. Extra arguments go to `sam deploy`, for example
#   scripts/deploy.sh --parameter-overrides ShardCount=4 AlarmTopicArn=arn:...
# Needs AWS credentials; everything else is installed pinned, as for
# scripts/sam-build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/sam-build.sh

export PATH="$PWD/.tools/sam-venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0
cd infra

# Deploy parameters exist once a guided deploy has saved a stack name.
if awk '/^\[default\.deploy\.parameters\]/ { section = 1; next }
        /^\[/ { section = 0 }
        section && /^[[:space:]]*stack_name[[:space:]]*=/ { found = 1 }
        END { exit !found }' samconfig.toml; then
  exec sam deploy "$@"
else
  echo "==> no saved deploy parameters in infra/samconfig.toml: guided deploy"
  exec sam deploy --guided "$@"
fi
