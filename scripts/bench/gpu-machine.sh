#!/usr/bin/env bash
# On a machine with a GPU: the native wgpu benchmark (the same WGSL as the browser, on Vulkan)
# and PyTorch CUDA (fp32, TF32 off) on the same work, then the ratios. Build the binary first,
# where the Rust toolchain is (a GPU machine without one can run the copy):
#   CARGO_TARGET_DIR=target/gpu cargo build --release -p ferrograd-core --features gpu --example gpu_bench
#   bash scripts/bench/gpu-machine.sh [OUT_DIR]     # writes wgpu.json, torch.json, ratios.json
# GPU_BENCH_BIN names another binary; PYTHON another interpreter (one with CUDA torch).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${GPU_BENCH_BIN:-target/gpu/release/examples/gpu_bench}
out=${1:-${OUT:-out/gpu-bench}}
py=${PYTHON:-python3}
mkdir -p "$out"
[ -x "$bin" ] || { echo "gpu-machine: no $bin (build it: see the top of this script)" >&2; exit 1; }
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/nvidia-smi.txt"
"$bin" --json > "$out/wgpu.json" || { echo "gpu-machine: the wgpu benchmark failed (a Vulkan driver for this GPU?)" >&2; exit 1; }
"$py" scripts/bench/torch_ref.py --device cuda > "$out/torch.json" || { echo "gpu-machine: PyTorch CUDA failed: $(cat "$out/torch.json")" >&2; exit 1; }
"$py" - "$out" <<'PY'
import json, sys
out = sys.argv[1]
w = json.load(open(f'{out}/wgpu.json'))
t = json.load(open(f'{out}/torch.json'))
ours = {r['name']: r['value'] for r in w['rows']}
pairs = [('sgemm 4096³', 'sgemm 4096', 'gflops'), ('sgemm 1024³', 'sgemm 1024', 'gflops'),
         ('LeNet training, batch 256', 'lenet', 'img_s'), ('small VGG@224 training, batch 32', 'vgg', 'img_s'),
         ('ResNet-18@96 training, batch 32', 'resnet18', 'img_s')]
rows = []
for mine, theirs, unit in pairs:
    if mine in ours and theirs in t['rows']:
        a, b = ours[mine], t['rows'][theirs][unit]
        rows.append({'work': mine, 'unit': unit, 'ferrograd': a, 'torch': b, 'ratio': a / b})
        print(f'{mine:<36} {a:>10.1f} {b:>10.1f} {unit:<7} {a / b:6.2f}x')
json.dump({'adapter': w['adapter'], 'torchDevice': t['device'], 'torch': t['torch'], 'rows': rows}, open(f'{out}/ratios.json', 'w'), indent=1)
print(f"wgpu adapter: {w['adapter']}; PyTorch {t['torch']} on {t['device']}")
PY
