#!/usr/bin/env bash
# The README's first command: generate the built-in toy data (if absent),
# train the paper's original GLAMOR-Net on it on the CPU, test it, and print
# where the checkpoint, logs and metrics are.
#   bash tools/quickstart.sh [extra tools/train.py args...]
# Environment: PYTHON (default: python), WORK_DIR (default:
# work_dirs/quickstart), DATA_ROOT (default: data/toy_caers).
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
CONFIG=configs/glamor/glamor_original_1xb32-12e_toy.py
WORK_DIR=${WORK_DIR:-work_dirs/quickstart}
DATA_ROOT=${DATA_ROOT:-data/toy_caers}
DATA_OPTS="train_dataloader.dataset.data_root=${DATA_ROOT} \
val_dataloader.dataset.data_root=${DATA_ROOT} \
test_dataloader.dataset.data_root=${DATA_ROOT}"
export PYTHONPATH="$(pwd)${PYTHONPATH:+:$PYTHONPATH}"

start=$(date +%s)
if [ ! -f "${DATA_ROOT}/test.txt" ]; then
    echo "== Generating the built-in toy data in ${DATA_ROOT}"
    ${PYTHON} tools/dataset_converters/generate_toy_caers.py "${DATA_ROOT}"
fi

echo "== Training ${CONFIG} (CPU is fine; a few minutes)"
${PYTHON} tools/train.py ${CONFIG} --work-dir "${WORK_DIR}" \
    --cfg-options ${DATA_OPTS} "$@"

CKPT=$(cat "${WORK_DIR}/last_checkpoint")
echo "== Testing ${CKPT}"
${PYTHON} tools/test.py ${CONFIG} "${CKPT}" --work-dir "${WORK_DIR}/test" \
    --out "${WORK_DIR}/test_metrics.json" --out-item metrics \
    --cfg-options ${DATA_OPTS}

ACC=$(${PYTHON} -c "import json,sys; \
print('%.2f' % json.load(open(sys.argv[1]))['accuracy/top1'])" \
    "${WORK_DIR}/test_metrics.json")
cat <<MSG

== Done in $(( $(date +%s) - start )) s. Test accuracy (top-1): ${ACC} %
   checkpoint:   ${CKPT}
   train logs:   ${WORK_DIR}/<timestamp>/ (text log + vis_data/scalars.json)
   test logs:    ${WORK_DIR}/test/<timestamp>/
   test metrics: ${WORK_DIR}/test_metrics.json (accuracy, per-class accuracy,
                 confusion matrix)
MSG
