"""The metadata of an exported ``.onnx`` file, with a SHA-256 of the model.

The exporter stores JSON values (view shapes, output and class names) in
the model's ``metadata_props`` and, last, ``sha256``: the SHA-256 of the
serialized model without that entry. A byte changed anywhere in the graph,
its weights or the other metadata changes the digest, so
:func:`load_checked_model` refuses the file instead of running it.
"""
import hashlib
import json
from typing import Any, Dict, Tuple

from .optional import import_optional

DIGEST_KEY = 'sha256'


def _digest(proto) -> str:
    """SHA-256 of the model serialized without its ``sha256`` entry."""
    onnx = import_optional('onnx')
    unsigned = onnx.ModelProto()
    unsigned.CopyFrom(proto)
    entries = [e for e in unsigned.metadata_props if e.key != DIGEST_KEY]
    del unsigned.metadata_props[:]
    unsigned.metadata_props.extend(entries)
    return hashlib.sha256(
        unsigned.SerializeToString(deterministic=True)).hexdigest()


def save_with_metadata(proto, meta: Dict[str, Any], out_file: str) -> None:
    """Replace the metadata of ``proto`` by ``meta`` and its digest, save.

    Args:
        proto (onnx.ModelProto): The model; its ``metadata_props`` are
            replaced.
        meta (dict): Key -> JSON-serialisable value.
        out_file (str): The ``.onnx`` file to write.
    """
    onnx = import_optional('onnx')
    del proto.metadata_props[:]
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    digest = _digest(proto)
    entry = proto.metadata_props.add()
    entry.key, entry.value = DIGEST_KEY, digest
    onnx.save(proto, out_file)


def load_checked_model(onnx_file: str) -> Tuple[bytes, Dict[str, Any]]:
    """Read an exported model and verify its SHA-256.

    Args:
        onnx_file (str): A file written by :func:`save_with_metadata`.

    Returns:
        tuple[bytes, dict]: The file's bytes (to give ONNX Runtime, so that
        the checked bytes are the ones that run) and its metadata, key ->
        decoded JSON value (the digest left out).

    Raises:
        ValueError: If the file is not an ONNX model, has no digest (not
            exported by ``tools/deployment/pytorch2onnx.py``, or by an
            older version of it) or its digest does not match (the file was
            changed or damaged after the export).
    """
    onnx = import_optional('onnx')
    with open(onnx_file, 'rb') as f:
        data = f.read()
    try:
        proto = onnx.ModelProto.FromString(data)
    except Exception as e:
        raise ValueError(f'{onnx_file}: not an ONNX model ({e}).') from e
    props = {e.key: e.value for e in proto.metadata_props}
    if DIGEST_KEY not in props:
        raise ValueError(
            f'{onnx_file}: no SHA-256 in its metadata, so its integrity '
            'cannot be checked: export it again with '
            'tools/deployment/pytorch2onnx.py.')
    if props.pop(DIGEST_KEY) != _digest(proto):
        raise ValueError(
            f'{onnx_file}: its SHA-256 does not match the one stored at '
            'export: the file was changed or damaged after the export. '
            'Copy or export it again.')
    try:
        meta = {key: json.loads(value) for key, value in props.items()}
    except json.JSONDecodeError as e:
        raise ValueError(f'{onnx_file}: metadata is not JSON ({e}).') from e
    return data, meta
