#!/usr/bin/env bash
# What the integration tests need beyond node_modules, installed when missing so that `npm test` works on a fresh
# machine: a real OCI registry for the registry tests (the CNCF distribution registry, Debian's docker-registry),
# run on loopback. moto's server is checked, not installed (pip is not among this project's package sources).
set -uo pipefail

if ! python3 -c 'import moto, moto.server, flask' 2>/dev/null; then
  echo "python3 with moto's server (moto[server] 5.x) is required for the integration tests and is missing" >&2
  exit 1
fi

if ! command -v docker-registry >/dev/null 2>&1; then
  echo "== installing docker-registry with apt (the registry tests run it on loopback)"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry; } >/dev/null; then
    echo "docker-registry (apt package docker-registry, distribution 2.8) is required for the registry tests and could not be installed: run 'sudo apt-get install docker-registry'" >&2
    exit 1
  fi
fi
