#!/usr/bin/env bash
# PyTorch for the golden fixtures and `npm run bench`'s reference column, on an optimised BLAS:
# Debian's python3-torch calls the generic BLAS interface, which is the reference BLAS until an
# optimised one is installed and selected. OpenBLAS's OpenMP build shares PyTorch's OpenMP pool
# (the pthread build's own pool fights it). Idempotent; needs root and apt.
set -euo pipefail
say() { echo "setup-torch: $*"; }
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  say "needs root and apt-get; run as root: apt-get install python3-torch libopenblas0-openmp, then select it (see scripts/setup-torch.sh)"
  exit 1
fi
pkgs=()
for p in python3-torch libopenblas0-openmp; do dpkg -s "$p" >/dev/null 2>&1 || pkgs+=("$p"); done
if [ ${#pkgs[@]} -gt 0 ]; then
  say "installing ${pkgs[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3; do
  update-alternatives --set "$lib-$arch" "/usr/lib/$arch/openblas-openmp/$lib" >/dev/null
done
say "$(/usr/bin/python3 scripts/bench/torch_blas.py)"
