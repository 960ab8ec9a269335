#!/usr/bin/env bash
# The all-in-one's entry point, kept at the path the README's first command
# names. The all-in-one itself (its script, helpers, dashboard form and
# README) lives in allinone/; every argument is passed on:
#   bash tools/allinone.sh [all|start|demo|status|check|stop|dashboard ...]
set -euo pipefail
exec bash "$(cd "$(dirname "$0")/.." && pwd)/allinone/allinone.sh" "$@"
