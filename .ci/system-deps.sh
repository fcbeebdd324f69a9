#!/usr/bin/env bash
# Installs the Debian packages the tests use, only when one is missing (root on CI and dev machines).
set -euo pipefail
need=()
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v jq >/dev/null || need+=(jq)
# the printing tests start their own CUPS scheduler (cupsd) and print with lp
{ command -v cupsd >/dev/null || test -x /usr/sbin/cupsd; } || need+=(cups-daemon)
command -v lp >/dev/null || need+=(cups-client)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing system packages: ${need[*]} (install them as root)" >&2; exit 1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
