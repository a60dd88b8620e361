"""Parameter files, written atomically and read without pickle: `.npz` archives, or `.safetensors`
(the field's pickle-free format, through the `safetensors` package's NumPy API), chosen by suffix.

Metadata (any JSON-able dict) travels with the arrays: in an `.npz` as a `meta` string array, in a
`.safetensors` file in the header's `__metadata__`, one JSON-encoded value per key.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Collection, Mapping

import numpy as np
import safetensors
import safetensors.numpy
from safetensors import safe_open

from .files import atomic_open

SAFETENSORS = ".safetensors"


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, or that does not fit the model."""


def is_safetensors(path: str | os.PathLike) -> bool:
    """True when `path` names a `.safetensors` file (else it is treated as `.npz`)."""
    return os.fspath(path).lower().endswith(SAFETENSORS)


def save_arrays(path: str | os.PathLike, arrays: Mapping[str, np.ndarray], metadata: dict | None = None) -> str:
    """Write `arrays` (and JSON-able `metadata`) to `path`, atomically (temp file, fsync, rename): a
    crash mid-write leaves the previous file intact. A path ending in `.safetensors` is written as
    safetensors, any other as `.npz` (no suffix is appended). Returns the path written."""
    if is_safetensors(path):
        header = None if metadata is None else {key: json.dumps(value) for key, value in metadata.items()}
        contiguous = {name: np.require(a, requirements="C") for name, a in arrays.items()}  # 0-D stays 0-D
        data = safetensors.numpy.save(contiguous, metadata=header)
        with atomic_open(path, "save") as f:
            f.write(data)
    else:
        extra = {} if metadata is None else {META: np.array(json.dumps(metadata))}
        with atomic_open(path, "save") as f:
            np.savez(f, **arrays, **extra)
    return os.fspath(path)


def load_file(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict | None]:
    """(arrays, metadata or None) of a file written by `save_arrays` (`.safetensors` by suffix, else
    `.npz`); a missing, corrupt, foreign or pickled file gives a clear error naming it."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load: checkpoint file {path!r} does not exist")
    if is_safetensors(path):
        return _load_safetensors(path)
    if not zipfile.is_zipfile(path):
        raise CheckpointError(
            f"load: {path!r} is not a checkpoint: not an .npz (zip) archive (save() writes .npz, or "
            f"safetensors for a name ending in {SAFETENSORS})"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise CheckpointError(
            f"load: {path!r} is not a readable checkpoint (.npz written by save()): {type(err).__name__}: {err}"
        ) from None
    meta = arrays.pop(META, None)
    return arrays, None if meta is None else _parse_json(path, str(meta))


def _load_safetensors(path: str) -> tuple[dict[str, np.ndarray], dict | None]:
    try:
        with safe_open(path, framework="np") as f:
            header = f.metadata()
            arrays = {name: f.get_tensor(name) for name in f.keys()}  # noqa: SIM118 (not a dict)
    except (safetensors.SafetensorError, OSError, ValueError, TypeError) as err:
        raise CheckpointError(
            f"load: {path!r} is not a readable safetensors file: {type(err).__name__}: {err}"
        ) from None
    if header is None:
        return arrays, None
    return arrays, {key: _parse_json(path, value) for key, value in header.items()}


def _parse_json(path: str, text: str) -> object:
    try:
        return json.loads(text)
    except ValueError as err:
        raise CheckpointError(f"load: the metadata of {path!r} is corrupt: {err}") from None


def check_state(
    fn: str,
    source: str,
    arrays: Mapping[str, np.ndarray],
    shapes: Mapping[str, tuple[int, ...]],
    strict: bool = True,
    buffers: Collection[str] = (),
) -> tuple[list[str], list[str]]:
    """Compare `arrays` with the expected `shapes` (name -> shape); return (missing, unexpected) names.

    Raises one CheckpointError naming every problem: a mis-shaped or non-finite array always, and
    with `strict` every missing and unexpected key too. `fn` names the caller and `source` where
    the arrays came from; names in `buffers` are called buffers, the others parameters.
    """
    missing = [name for name in shapes if name not in arrays]
    unexpected = [name for name in arrays if name not in shapes]
    problems = []
    for name, shape in shapes.items():
        noun = "buffer" if name in buffers else "parameter"
        if name not in arrays:
            continue
        array = arrays[name]
        if array.shape != tuple(shape):
            problems.append(f"{noun} {name!r} has shape {array.shape}, the model expects {tuple(shape)}")
        elif array.dtype.kind not in "iuf" or not np.all(np.isfinite(array)):
            problems.append(f"{noun} {name!r} is not finite numbers (dtype {array.dtype})")
    if strict:
        problems += [f"has no {'buffer' if n in buffers else 'parameter'} {n!r} (missing key)" for n in missing]
        problems += [f"has {n!r}, which the model lacks (unexpected key)" for n in unexpected]
    if len(problems) == 1:
        raise CheckpointError(f"{fn}: {source}: {problems[0]}")
    if problems:
        raise CheckpointError(f"{fn}: {source} does not fit the model ({len(problems)} problems):\n  " +
                              "\n  ".join(problems))  # fmt: skip
    return missing, unexpected


PARAM, OPTIM, META = "param/", "optim/", "meta"


def model_arrays(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The model's state in a file: the arrays of a `save` file, the `param/` ones of a training checkpoint."""
    if any(name.startswith(PARAM) for name in arrays):
        return {name[len(PARAM) :]: a for name, a in arrays.items() if name.startswith(PARAM)}
    return dict(arrays)


def read_metadata(path: str | os.PathLike) -> dict | None:
    """The JSON metadata stored in a file by `save(..., metadata=)` or a training checkpoint, if any."""
    return load_file(path)[1]


def attached_metadata(path: str | os.PathLike) -> dict | None:
    """The metadata a user attached to a file: `save(..., metadata=)`'s dict, or `fit(..., metadata=)`'s
    in a training checkpoint; None when there is none."""
    arrays, meta = load_file(path)
    if meta is None or not any(name.startswith(PARAM) for name in arrays):
        return meta
    return meta.get("metadata") or None


def differences(recorded: Mapping, current: Mapping) -> list[str]:
    """`key (checkpoint X, this run Y)` for every key whose value differs (compared as JSON, so that
    tuples equal the lists they are stored as); a key missing on one side is "not recorded"."""
    current = json.loads(json.dumps(current))
    missing = "not recorded"
    return [
        f"{key} (checkpoint {recorded.get(key, missing)!r}, this run {current.get(key, missing)!r})"
        for key in dict.fromkeys([*recorded, *current])
        if recorded.get(key, missing) != current.get(key, missing)
    ]


def save_training(
    path: str | os.PathLike,
    params: Mapping[str, np.ndarray],
    optimizer_state: Mapping[str, np.ndarray],
    meta: dict,
) -> str:
    """A resumable training checkpoint: model state, optimizer state and `meta` (JSON), atomically."""
    arrays = {PARAM + k: v for k, v in params.items()} | {OPTIM + k: v for k, v in optimizer_state.items()}
    return save_arrays(path, arrays, meta)


def load_training(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict]:
    """(model state, optimizer state, meta) of a checkpoint written by `save_training`."""
    arrays, meta = load_file(path)
    if meta is None or not any(name.startswith(PARAM) for name in arrays):
        raise CheckpointError(f"load: {os.fspath(path)!r} is not a training checkpoint (no metadata)")
    optim = {k[len(OPTIM) :]: v for k, v in arrays.items() if k.startswith(OPTIM)}
    return model_arrays(arrays), optim, meta
