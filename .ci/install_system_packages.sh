#!/usr/bin/env bash
# Installs the system packages the tests need on Debian/Ubuntu: PostgreSQL server binaries (the tests start
# their own throwaway cluster from /usr/lib/postgresql/<version>/bin) and headless Chromium.
#
# Usage (as root, or as a user with sudo):  bash .ci/install_system_packages.sh
# Idempotent and quiet: packages already installed are skipped; `apt-get update` runs at most once, and only
# when something is missing. Output of apt is shown only if it fails.
set -euo pipefail

PACKAGES=(postgresql chromium)

is_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
    echo "system packages present: ${PACKAGES[*]}"
    exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    SUDO=(sudo)
fi

log=$(mktemp)
policy=/usr/sbin/policy-rc.d
own_policy=0
cleanup() {
    # Only remove the service-start blocker if this script created it.
    if ((own_policy)); then "${SUDO[@]}" rm -f "$policy"; fi
    rm -f "$log"
}
trap cleanup EXIT

# The Debian package would start its own `main` cluster as a service; the tests never use it, so block
# service starts during the install (policy-rc.d exit code 101 = "action forbidden").
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod 755 "$policy"
    own_policy=1
fi

run_quietly() {
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        echo "failed: $*" >&2
        exit 1
    fi
}

echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
run_quietly "${SUDO[@]}" apt-get update -qq
run_quietly "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"

if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    echo "postgresql installed but no /usr/lib/postgresql/<version>/bin/initdb found" >&2
    exit 1
fi
echo "system packages installed: ${missing[*]}"
