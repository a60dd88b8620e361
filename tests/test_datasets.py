"""tinygrad_np.datasets: bundled data, local IDX/CSV folders, bad files, Kaggle offline (unreachable,
stalled, cached), bad arguments, one_hot, and garbage files (hypothesis). All offline."""

from __future__ import annotations

import contextlib
import gzip
import os
import socket
import struct
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import examples

from tinygrad_np.datasets import (
    KAGGLE_HANDLE,
    MNIST,
    DatasetError,
    DatasetUnavailableError,
    load_mnist,
    one_hot,
    read_csv,
    read_idx,
)
from tinygrad_np.datasets.idx import read_mnist_idx
from tinygrad_np.datasets.kaggle import DeadlineExceeded, run_with_deadline

rng = np.random.default_rng(0)
HEADER = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))


# ---------------------------------------------------------------- writers of small MNIST-like files


def make_data(n: int, seed: int = 0, classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """`n` random 28x28 uint8 images and labels cycling over `classes` (so every class has n/classes)."""
    gen = np.random.default_rng(seed)
    return gen.integers(0, 256, (n, 28, 28), dtype=np.uint8), np.arange(n) % classes


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """An IDX file's bytes for a uint8 array (magic 0x08 type, its ndim) unless `magic` is given."""
    magic = 0x0800 | array.ndim if magic is None else magic
    return struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.astype(np.uint8).tobytes()


def write(path, data: bytes, gz: bool = False) -> str:
    """Write `data` (gzipped if `gz`) to `path`; return the path as str."""
    with open(path, "wb") as f:
        f.write(gzip.compress(data) if gz else data)
    return str(path)


def write_idx_pair(folder, prefix: str, images, labels, gz: bool = False, dot: bool = False) -> tuple[str, str]:
    """Write `prefix`-images / -labels IDX files (standard or dot names, raw or .gz) into `folder`."""
    sep, ext = (".", ".gz" if gz else "") if dot else ("-", ".gz" if gz else "")
    return (
        write(folder / f"{prefix}-images{sep}idx3-ubyte{ext}", idx_bytes(images), gz),
        write(folder / f"{prefix}-labels{sep}idx1-ubyte{ext}", idx_bytes(np.asarray(labels, np.uint8)), gz),
    )


def csv_text(images, labels, header: bool = True) -> str:
    """MNIST CSV text: optional Kaggle header, then label + 784 pixels per row."""
    rows = np.column_stack([labels, images.reshape(len(images), -1)]).astype(np.int64)
    lines = [HEADER] if header else []
    lines += [",".join(map(str, row)) for row in rows]
    return "\n".join(lines) + "\n"


def write_csv(path, images, labels, header: bool = True) -> str:
    """Write an MNIST CSV file; return its path as str."""
    return write(path, csv_text(images, labels, header).encode())


def rows_of(X: np.ndarray, y: np.ndarray) -> list[tuple[int, bytes]]:
    """Sorted (label, pixel bytes) rows of loaded data (scaled back to 0-255), to compare as multisets."""
    pixels = np.rint(X.reshape(len(X), -1) * 255).astype(np.uint8)
    return sorted(zip(y.tolist(), (row.tobytes() for row in pixels)))


def assert_split_of(data: MNIST, images, labels) -> None:
    """The train and test parts of `data` together are exactly `images`/`labels`, well formed."""
    for X, y in ((data.X_train, data.y_train), (data.X_test, data.y_test)):
        assert X.dtype == np.float32 and X.shape[1:] == (28, 28, 1) and y.dtype == np.int64
        assert X.min() >= 0.0 and X.max() <= 1.0
    X = np.concatenate([data.X_train, data.X_test])
    y = np.concatenate([data.y_train, data.y_test])
    assert rows_of(X, y) == sorted(zip(labels.tolist(), (im.tobytes() for im in images.reshape(len(images), -1))))


# ---------------------------------------------------------------- bundled data


@pytest.fixture(scope="module")
def bundled() -> MNIST:
    return load_mnist("bundled")


def test_bundled_defaults_shapes_dtypes_ranges(bundled):
    d = bundled
    assert d.X_train.shape == (8000, 28, 28, 1) and d.X_test.shape == (2000, 28, 28, 1)
    assert d.y_train.shape == (8000,) and d.y_test.shape == (2000,)
    assert d.X_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert d.X_train.min() == 0.0 and d.X_train.max() == 1.0
    assert set(np.unique(d.y_train)) == set(range(10)) == set(np.unique(d.y_test))
    assert d.official_test is None and d.source == "bundled"
    assert "original MNIST test set" in d.description and "8,000 train / 2,000 test" in d.description
    assert "stratified" in d.description and "seed 0" in d.description
    assert repr(d) == "MNIST(source='bundled', train=8000, test=2000, official_test=None)"


def test_bundled_split_is_stratified_and_covers_the_file_exactly(bundled):
    train = np.bincount(bundled.y_train, minlength=10) / len(bundled.y_train)
    test = np.bincount(bundled.y_test, minlength=10) / len(bundled.y_test)
    assert np.abs(train - test).max() < 0.01
    from importlib.resources import as_file, files

    folder = files("tinygrad_np") / "data"
    with as_file(folder / "t10k-images-idx3-ubyte.gz") as im, as_file(folder / "t10k-labels-idx1-ubyte.gz") as lb:
        images, labels = read_mnist_idx(im, lb)
        assert read_idx(im).shape == (10000, 28, 28) and read_idx(im).dtype == np.uint8
    assert_split_of(bundled, images, labels)


def test_bundled_is_fast():
    start = time.perf_counter()
    load_mnist("bundled")
    assert time.perf_counter() - start < 1.0


def test_seed_reproducible_and_different(bundled):
    again = load_mnist("bundled", seed=0)
    other = load_mnist("bundled", seed=1)
    assert np.array_equal(again.X_train, bundled.X_train) and np.array_equal(again.y_test, bundled.y_test)
    assert not np.array_equal(other.y_train, bundled.y_train)
    assert "seed 1" in other.description


def test_limit_and_test_size():
    d = load_mnist("bundled", limit=500, test_size=0.3, seed=3)
    assert len(d.y_train) == 350 and len(d.y_test) == 150
    assert "500 of them drawn" in d.description and "350 train / 150 test" in d.description
    counts = np.bincount(np.concatenate([d.y_train, d.y_test]), minlength=10)
    assert counts.min() >= 40 and counts.max() <= 60  # MNIST's class shares, about 10% each
    same = load_mnist("bundled", limit=500, test_size=0.3, seed=3)
    assert np.array_equal(same.X_test, d.X_test)
    assert len(load_mnist("bundled", limit=10000).y_train) == 8000


# ---------------------------------------------------------------- local folders


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dot", [False, True])
def test_idx_folder_with_official_test(tmp_path, gz, dot):
    images, labels = make_data(200, seed=1)
    test_images, test_labels = make_data(50, seed=2)
    write_idx_pair(tmp_path, "train", images, labels, gz=gz, dot=dot)
    write_idx_pair(tmp_path, "t10k", test_images, test_labels, gz=gz, dot=dot)
    d = load_mnist(tmp_path, test_size=0.25)
    assert (len(d.y_train), len(d.y_test)) == (150, 50)
    assert_split_of(d, images, labels)
    X_official, y_official = d.official_test
    assert X_official.shape == (50, 28, 28, 1) and X_official.dtype == np.float32
    assert rows_of(X_official, y_official) == rows_of(test_images[..., None] / 255.0, test_labels)
    assert d.source == str(tmp_path) and "official test set" in d.description
    assert str(tmp_path) in d.description


def test_idx_folder_train_only_and_t10k_only(tmp_path):
    images, labels = make_data(100)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_idx_pair(tmp_path / "a", "train", images, labels)
    write_idx_pair(tmp_path / "b", "t10k", images, labels, gz=True)
    for folder in ("a", "b"):
        d = load_mnist(str(tmp_path / folder))
        assert d.official_test is None and (len(d.y_train), len(d.y_test)) == (80, 20)
        assert_split_of(d, images, labels)


@pytest.mark.parametrize("header", [True, False])
def test_csv_folder_with_and_without_header(tmp_path, header):
    images, labels = make_data(120, seed=4)
    test_images, test_labels = make_data(30, seed=5)
    write_csv(tmp_path / "mnist_train.csv", images, labels, header)
    write_csv(tmp_path / "mnist_test.csv", test_images, test_labels, header)
    d = load_mnist(tmp_path, seed=7)
    assert (len(d.y_train), len(d.y_test)) == (96, 24)
    assert_split_of(d, images, labels)
    assert rows_of(*d.official_test) == rows_of(test_images[..., None] / 255.0, test_labels)
    got_images, got_labels = read_csv(tmp_path / "mnist_train.csv")
    assert got_images.dtype == np.uint8 and np.array_equal(got_images, images)
    assert got_labels.dtype == np.int64 and np.array_equal(got_labels, labels)


def test_single_csv_any_name_folder_or_file(tmp_path):
    images, labels = make_data(60)
    path = write_csv(tmp_path / "digits.csv", images, labels, header=False)
    for source in (tmp_path, path):
        d = load_mnist(source, test_size=0.5)
        assert d.official_test is None and len(d.y_test) == 30
        assert_split_of(d, images, labels)


def test_data_with_fewer_classes_still_splits(tmp_path):
    images, labels = make_data(40, classes=4)
    write_csv(tmp_path / "train.csv", images, labels)
    d = load_mnist(tmp_path, test_size=0.25)
    assert set(np.unique(d.y_test)) == {0, 1, 2, 3}


# ---------------------------------------------------------------- bad files


def bad_idx_cases(folder) -> list[tuple[str, str, str, str, str]]:
    """(case, images path, labels path, the bad one of the two, expected message part), written to `folder`."""
    images, labels = make_data(20)
    lab = np.asarray(labels, np.uint8)
    good_im, good_lb = write(folder / "good-images", idx_bytes(images)), write(folder / "good-labels", idx_bytes(lab))
    bad = [
        ("wrong magic", b"\x12\x34\x56\x78" + bytes(100), False, "wrong magic number 0x12345678"),
        ("labels as images", idx_bytes(lab), False, "magic number 0x00000801"),
        ("truncated", idx_bytes(images)[:-7], False, "is truncated"),
        ("truncated header", idx_bytes(images)[:10], False, "is truncated"),
        ("gz of truncated", idx_bytes(images)[:-1], True, "is truncated"),
        ("extra bytes", idx_bytes(images) + b"\0", False, "1 bytes too many"),
        ("28x27 images", idx_bytes(images[:, :, :27]), False, "28x27 images"),
    ]
    cases = [(name, write(folder / f"im{i}", data, gz), good_lb, part) for i, (name, data, gz, part) in enumerate(bad)]
    cases.append(("broken gzip", write(folder / "tgz.gz", gzip.compress(idx_bytes(images))[:-20]), good_lb, "gzip"))
    cases = [(name, im, lb, im, part) for name, im, lb, part in cases]
    cases.append(("counts", good_im, write(folder / "lb1", idx_bytes(lab[:-1])), "", "disagree"))
    cases.append(("label range", good_im, write(folder / "lb2", idx_bytes(lab + 3)), "", "label 10 at item 7"))
    return [(name, im, lb, bad or lb, part) for name, im, lb, bad, part in cases]


def test_bad_idx_files_raise_dataset_error_naming_the_file(tmp_path):
    for name, images, labels, bad, part in bad_idx_cases(tmp_path):
        with pytest.raises(DatasetError) as info:
            read_mnist_idx(images, labels)
        assert bad in str(info.value) and part in str(info.value), (name, str(info.value))


def test_bad_idx_file_in_a_folder_is_named_by_load_mnist(tmp_path):
    images, labels = make_data(30)
    write_idx_pair(tmp_path, "train", images, labels)
    bad = write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(np.full(30, 10, np.uint8)))
    with pytest.raises(DatasetError, match="label 10 at item 0") as info:
        load_mnist(tmp_path)
    assert bad in str(info.value)


def csv_cases(folder) -> dict[str, tuple[str, str]]:
    """name -> (path of a bad CSV written to `folder`, expected message part)."""
    images, labels = make_data(5)
    text = csv_text(images, labels, header=True)
    lines = text.splitlines()
    row = lines[2].split(",")

    def variant(name: str, new_row: list[str], part: str) -> tuple[str, str]:
        return write(folder / f"{name}.csv", "\n".join([*lines[:2], ",".join(new_row), *lines[3:]]).encode()), part

    return {
        "width 757": (write_csv(folder / "narrow.csv", images[:, :, :27], labels), "has 757 columns"),
        "width 786": variant("wide", [*row, "0"], "Expected 785 fields"),
        "non-numeric": variant("text", [row[0], "abc", *row[2:]], "non-numeric cell 'abc' at line 3, column 2"),
        "empty cell": variant("empty", [row[0], "", *row[2:]], "empty or missing cell at line 3, column 2"),
        "fraction": variant("frac", [row[0], "0.5", *row[2:]], "not a whole number"),
        "pixel 256": variant("p256", [*row[:-1], "256"], "pixel value 256 at line 3, column 785"),
        "pixel -1": variant("pneg", [row[0], "-1", *row[2:]], "pixel value -1"),
        "label 10": variant("l10", ["10", *row[1:]], "label 10 at line 3, column 1"),
        "label -1 no header": (write(folder / "nohead.csv", ("-1," + ",".join(row[1:]) + "\n").encode()), "label -1"),
        "empty file": (write(folder / "zero.csv", b""), "no data rows"),
        "header only": (write(folder / "head.csv", (HEADER + "\n").encode()), "no data rows"),
        "binary": (write(folder / "bin.csv", bytes(range(256)) * 4), "CSV"),
    }


def test_bad_csv_files_raise_dataset_error_naming_the_file(tmp_path):
    for name, (path, part) in csv_cases(tmp_path).items():
        with pytest.raises(DatasetError) as info:
            read_csv(path)
        assert path in str(info.value) and part in str(info.value), (name, str(info.value))


def test_bad_folders(tmp_path):
    images, labels = make_data(20)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match="no MNIST files") as info:
        load_mnist(empty)
    assert str(empty) in str(info.value)
    half = tmp_path / "half"
    half.mkdir()
    write(half / "train-images-idx3-ubyte.gz", idx_bytes(images), gz=True)
    with pytest.raises(DatasetError, match="no matching labels file") as info:
        load_mnist(half)
    assert "train-images-idx3-ubyte.gz" in str(info.value) and str(half) in str(info.value)
    two = tmp_path / "two"
    two.mkdir()
    write_csv(two / "a.csv", images, labels)
    write_csv(two / "b.csv", images, labels)
    with pytest.raises(DatasetError, match="several CSV files"):
        load_mnist(two)
    with pytest.raises(DatasetError, match="is a file"):
        load_mnist(write(tmp_path / "x.bin", b"123"))


def test_missing_paths(tmp_path):
    missing = str(tmp_path / "nope")
    for call in (lambda: read_idx(missing), lambda: read_csv(missing), lambda: load_mnist(missing)):
        with pytest.raises(FileNotFoundError, match="nope"):
            call()
    with pytest.raises(DatasetError, match="is a folder"):
        read_idx(tmp_path)


# ---------------------------------------------------------------- Kaggle offline


def closed_port() -> int:
    """A local TCP port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def use_proxy(monkeypatch, tmp_path, port: int) -> None:
    """Send HTTPS through 127.0.0.1:`port` and give kagglehub a fresh empty cache."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "kagglehub-cache"))


@pytest.fixture
def unreachable(monkeypatch, tmp_path):
    use_proxy(monkeypatch, tmp_path, closed_port())


@pytest.fixture
def stalled(monkeypatch, tmp_path):
    """A proxy on 127.0.0.1 that accepts connections and never answers; closes them all at teardown."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.1)
    stop, accepted = threading.Event(), []

    def serve() -> None:
        end = time.monotonic() + 30  # bounded even if teardown never comes
        while not stop.is_set() and time.monotonic() < end and len(accepted) < 20:
            with contextlib.suppress(OSError):  # accept timed out: look at `stop` again
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    use_proxy(monkeypatch, tmp_path, server.getsockname()[1])
    yield accepted
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    server.close()


def test_auto_falls_back_fast_when_kaggle_is_unreachable(unreachable):
    lines: list[str] = []
    start = time.monotonic()
    d = load_mnist("auto", log=lines.append)
    elapsed = time.monotonic() - start
    assert elapsed < 15 and d.source == "bundled" and len(d.y_train) == 8000
    assert len(lines) == 1 and "\n" not in lines[0]
    assert lines[0].startswith("Kaggle unreachable (") and "using the bundled MNIST data" in lines[0]
    assert "10,000 images" in lines[0]
    print(f"unreachable fallback: {elapsed:.2f} s")


def test_auto_is_silent_with_log_none(unreachable, capsys):
    assert load_mnist(log=None).source == "bundled"
    assert capsys.readouterr().out == ""


def test_kaggle_unreachable_is_a_clear_error(unreachable):
    start = time.monotonic()
    with pytest.raises(DatasetUnavailableError, match="Kaggle unreachable") as info:
        load_mnist("kaggle")
    assert time.monotonic() - start < 15
    assert isinstance(info.value, OSError) and "source='bundled'" in str(info.value)


def test_auto_falls_back_within_timeout_when_kaggle_stalls(stalled):
    lines: list[str] = []
    start = time.monotonic()
    d = load_mnist("auto", timeout=2, log=lines.append)
    elapsed = time.monotonic() - start
    assert d.source == "bundled" and 2 <= elapsed < 2 + 3
    assert stalled, "kagglehub never reached the stalled proxy"
    assert lines == [
        "Kaggle did not answer within 2 s; using the bundled MNIST data: the original MNIST test set, 10,000 images"
    ]
    print(f"stalled fallback: {elapsed:.2f} s")
    start = time.monotonic()
    with pytest.raises(DatasetUnavailableError, match="did not answer within 1 s.*source='bundled'"):
        load_mnist("kaggle", timeout=1)
    assert time.monotonic() - start < 1 + 3


def populate_cache(cache, train_text: str, test_text: str | None) -> str:
    """Lay out kagglehub 1.0's cache for the pinned handle, as `kagglehub/cache.py` does: the files in
    <cache>/datasets/<owner>/<name>/versions/<N>/ and the marker <cache>/datasets/<owner>/<name>/<N>.complete."""
    owner_name, version = KAGGLE_HANDLE.split("/versions/")
    base = os.path.join(cache, "datasets", *owner_name.split("/"))
    files = os.path.join(base, "versions", version)
    os.makedirs(files)
    write(os.path.join(files, "mnist_train.csv"), train_text.encode())
    if test_text is not None:
        write(os.path.join(files, "mnist_test.csv"), test_text.encode())
    write(os.path.join(base, f"{version}.complete"), b"")
    return files


def test_populated_kagglehub_cache_works_offline(unreachable, tmp_path):
    images, labels = make_data(100, seed=8)
    test_images, test_labels = make_data(20, seed=9)
    populate_cache(os.environ["KAGGLEHUB_CACHE"], csv_text(images, labels), csv_text(test_images, test_labels))
    lines: list[str] = []
    for source in ("kaggle", "auto"):
        d = load_mnist(source, log=lines.append)
        assert d.source == "kaggle" and (len(d.y_train), len(d.y_test)) == (80, 20)
        assert_split_of(d, images, labels)
        assert rows_of(*d.official_test) == rows_of(test_images[..., None] / 255.0, test_labels)
        assert KAGGLE_HANDLE in d.description and "mnist_test.csv (20 images)" in d.description
    assert lines == []


def test_corrupt_kagglehub_cache(unreachable):
    images, labels = make_data(30)
    files = populate_cache(os.environ["KAGGLEHUB_CACHE"], csv_text(images, labels)[:-900], None)
    with pytest.raises(DatasetError, match="mnist_train.csv"):
        load_mnist("kaggle")
    lines: list[str] = []
    assert load_mnist(log=lines.append).source == "bundled"
    assert len(lines) == 1 and "Kaggle data unusable" in lines[0] and files in lines[0]


def test_deadline_follows_progress_and_passes_errors():
    ticks = {"n": 0}

    def slow_but_alive() -> str:
        for _ in range(8):
            time.sleep(0.05)
            ticks["n"] += 1
        return "done"

    assert run_with_deadline(slow_but_alive, 0.15, lambda: ticks["n"]) == "done"  # 0.4 s in all
    with pytest.raises(DeadlineExceeded):
        run_with_deadline(lambda: time.sleep(2) or "late", 0.2, lambda: 0)
    with pytest.raises(KeyError, match="inner"):
        run_with_deadline(lambda: {}["inner"], 1.0, lambda: 0)


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"test_size": 0}, "test_size"),
        ({"test_size": 1.0}, "test_size"),
        ({"test_size": -0.2}, "test_size"),
        ({"test_size": float("nan")}, "test_size"),
        ({"test_size": "0.2"}, "test_size"),
        ({"test_size": True}, "test_size"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"seed": 2**32}, "seed"),
        ({"limit": 19}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": 100.0}, "limit"),
        ({"limit": 10001}, "limit"),
        ({"limit": 50, "test_size": 0.01}, "test_size"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"log": "print"}, "log"),
    ],
)
def test_bad_arguments(kwargs, name):
    kwargs = {"source": "bundled", **kwargs}
    with pytest.raises(ValueError, match=f"`{name}`") as info:
        load_mnist(**kwargs)
    assert repr(kwargs[name])[:8] in str(info.value) or name == "test_size"


@pytest.mark.parametrize("source", ["kagle", "Bundled", 42, None])
def test_unknown_source(source):
    with pytest.raises(ValueError, match="`source` must be one of"):
        load_mnist(source)


def test_one_hot():
    encoded = one_hot(np.array([0, 3, 9, 3]))
    assert encoded.dtype == np.float32 and encoded.shape == (4, 10)
    assert np.array_equal(encoded.argmax(1), [0, 3, 9, 3]) and np.array_equal(encoded.sum(1), np.ones(4))
    assert one_hot([1, 0], num_classes=2).tolist() == [[0, 1], [1, 0]]
    assert one_hot(np.array([], dtype=np.int64)).shape == (0, 10)
    for bad, part in [([0, 10], "got 10 at index 1"), ([-1], "got -1"), ([0.5], "dtype float64"),
                      ([[1, 2]], "1-D"), ([True], "dtype bool")]:  # fmt: skip
        with pytest.raises(ValueError, match="`labels`") as info:
            one_hot(bad)
        assert part in str(info.value)
    with pytest.raises(ValueError, match="`num_classes`"):
        one_hot([0], num_classes=0)


# ---------------------------------------------------------------- garbage files (hypothesis)

FAST = settings(max_examples=examples(80))


@FAST
@given(data=st.binary(max_size=300), gz=st.booleans())
def test_garbage_idx_bytes_give_only_dataset_error(tmp_path, data, gz):
    path = write(tmp_path / "garbage-idx", data, gz=gz)
    try:
        array = read_idx(path)
    except DatasetError as err:
        assert path in str(err)
    else:
        assert isinstance(array, np.ndarray)


@FAST
@given(
    magic=st.sampled_from([0x801, 0x803, 0x80C, 0xD02, 0x800, 0x1003]),
    dims=st.lists(st.integers(0, 40), min_size=0, max_size=4),
    body=st.binary(max_size=2000),
)
def test_near_idx_bytes_give_only_dataset_error(tmp_path, magic, dims, body):
    path = write(tmp_path / "near-idx", struct.pack(f">I{len(dims)}I", magic, *dims) + body)
    labels = write(tmp_path / "near-labels", idx_bytes(np.zeros(3, np.uint8)))
    for call in (lambda: read_idx(path), lambda: read_mnist_idx(path, labels)):
        try:
            call()
        except DatasetError as err:
            assert path in str(err) or labels in str(err)


CELLS = ["0", "9", "255", "256", "-1", "1.5", "", "x", "nan", "1e3", " 7 ", '"3"', "label"]


@FAST
@given(
    edits=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 786), st.sampled_from(CELLS)), max_size=4),
    header=st.booleans(),
    tail=st.sampled_from(["", ",", "\n", "\n,\n", ",0", "\x00"]),
)
def test_damaged_csv_gives_only_dataset_error(tmp_path, edits, header, tail):
    images, labels = make_data(3)
    lines = csv_text(images, labels, header).splitlines()
    rows = [line.split(",") for line in lines]
    for r, c, cell in edits:
        row = rows[r % len(rows)]
        row[c % len(row)] = cell
    path = write(tmp_path / "damaged.csv", ("\n".join(",".join(row) for row in rows) + tail).encode())
    try:
        got_images, got_labels = read_csv(path)
    except DatasetError as err:
        assert path in str(err)
    else:
        assert got_images.shape[1:] == (28, 28) and got_labels.min() >= 0 and got_labels.max() <= 9


@FAST
@given(data=st.binary(max_size=400))
def test_garbage_csv_bytes_give_only_dataset_error(tmp_path, data):
    path = write(tmp_path / "garbage.csv", data)
    try:
        read_csv(path)
    except DatasetError as err:
        assert path in str(err)


def test_images_come_back_c_contiguous():
    data = load_mnist("bundled", log=None)
    assert data.X_train.flags["C_CONTIGUOUS"] and data.X_test.flags["C_CONTIGUOUS"]
