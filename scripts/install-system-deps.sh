#!/usr/bin/env bash
# Install the Debian packages NBopen and its tests need, only when something is missing.
# git: the transport; git-lfs: LFS tests; nginx-light + fcgiwrap: the benchmark reference;
# chromium: browser tests (Playwright drives Debian's build; its own download cannot work here)
# and the insights PDF; fonts-wqy-microhei: a Chinese font, without which chromium prints
# Chinese text as empty boxes (5 MB; fonts-noto-cjk is 90 MB).
set -euo pipefail
need=()
command -v git >/dev/null || need+=(git)
command -v git-lfs >/dev/null || need+=(git-lfs)
if [ "${1:-}" = "--test" ]; then
  command -v nginx >/dev/null || need+=(nginx-light)
  command -v fcgiwrap >/dev/null || [ -x /usr/sbin/fcgiwrap ] || need+=(fcgiwrap)
  command -v chromium >/dev/null || need+=(chromium)
fi
if command -v chromium >/dev/null || [ "${1:-}" = "--test" ]; then
  [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing system packages: ${need[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
