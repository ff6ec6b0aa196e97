#!/usr/bin/env bash
# Stop both local services: the Kafka broker and the PostgreSQL cluster.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rc=0
"$here/kafka-down.sh" || rc=1
"$here/postgres-down.sh" || rc=1
exit "$rc"
