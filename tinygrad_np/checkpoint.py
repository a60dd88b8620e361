"""Parameter files: `.npz` archives written atomically and read without pickle."""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping

import numpy as np

from .files import atomic_open


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, or that does not fit the model."""


def save_arrays(path: str | os.PathLike, arrays: Mapping[str, np.ndarray]) -> str:
    """Write `arrays` to `path` as `.npz`, atomically (temp file, fsync, rename): a crash
    mid-write leaves the previous file intact. Returns the path written (as given: no `.npz`
    is appended)."""
    with atomic_open(path, "save") as f:
        np.savez(f, **arrays)
    return os.fspath(path)


def load_arrays(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read every array of an `.npz` file; a missing, corrupt or pickled file gives a clear error."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load: checkpoint file {path!r} does not exist")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"load: {path!r} is not a checkpoint: not an .npz (zip) archive")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise CheckpointError(
            f"load: {path!r} is not a readable checkpoint (.npz written by save()): {type(err).__name__}: {err}"
        ) from None


def check_matches(path: str | os.PathLike, arrays: Mapping[str, np.ndarray], shapes: Mapping[str, tuple]) -> None:
    """Raise CheckpointError naming the first parameter whose presence or shape differs."""
    for name, shape in shapes.items():
        if name not in arrays:
            raise CheckpointError(f"load: {os.fspath(path)!r} has no parameter {name!r} (it has {sorted(arrays)})")
        if arrays[name].shape != tuple(shape):
            raise CheckpointError(
                f"load: parameter {name!r} in {os.fspath(path)!r} has shape {arrays[name].shape}, "
                f"the model expects {tuple(shape)}"
            )
        if arrays[name].dtype.kind not in "iuf" or not np.all(np.isfinite(arrays[name])):
            raise CheckpointError(f"load: parameter {name!r} in {os.fspath(path)!r} is not finite numbers")
    extra = sorted(set(arrays) - set(shapes))
    if extra:
        raise CheckpointError(f"load: {os.fspath(path)!r} has parameters the model lacks: {extra}")


PARAM, OPTIM, META = "param/", "optim/", "meta"


def model_arrays(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The parameters in a file: the arrays of a `save` file, the `param/` ones of a training checkpoint."""
    if any(name.startswith(PARAM) for name in arrays):
        return {name[len(PARAM) :]: a for name, a in arrays.items() if name.startswith(PARAM)}
    return {name: a for name, a in arrays.items() if name != META}


def _metadata(path: str | os.PathLike, arrays: Mapping[str, np.ndarray]) -> dict | None:
    """The JSON metadata among the arrays read from `path`, if any."""
    if META not in arrays:
        return None
    try:
        return json.loads(str(arrays[META]))
    except ValueError as err:
        raise CheckpointError(f"load: the metadata of {os.fspath(path)!r} is corrupt: {err}") from None


def read_metadata(path: str | os.PathLike) -> dict | None:
    """The JSON metadata stored in a file by `save(..., metadata=)` or a training checkpoint, if any."""
    return _metadata(path, load_arrays(path))


def attached_metadata(path: str | os.PathLike) -> dict | None:
    """The metadata a user attached to a file: `save(..., metadata=)`'s dict, or `fit(..., metadata=)`'s
    in a training checkpoint; None when there is none."""
    arrays = load_arrays(path)
    meta = _metadata(path, arrays)
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
    """A resumable training checkpoint: parameters, optimizer state and `meta` (JSON), atomically."""
    arrays = {PARAM + k: v for k, v in params.items()} | {OPTIM + k: v for k, v in optimizer_state.items()}
    return save_arrays(path, arrays | {META: np.array(json.dumps(meta))})


def load_training(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict]:
    """(parameters, optimizer state, meta) of a checkpoint written by `save_training`."""
    arrays = load_arrays(path)
    meta = _metadata(path, arrays)
    if meta is None or not any(name.startswith(PARAM) for name in arrays):
        raise CheckpointError(f"load: {os.fspath(path)!r} is not a training checkpoint (no metadata)")
    optim = {k[len(OPTIM) :]: v for k, v in arrays.items() if k.startswith(OPTIM)}
    return model_arrays(arrays), optim, meta
