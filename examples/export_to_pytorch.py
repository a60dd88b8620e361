"""Move the MNIST CNN to PyTorch and back, through safetensors files.

python examples/export_to_pytorch.py                 # train briefly on the bundled data, then export
python examples/export_to_pytorch.py --load cnn.npz  # export a model saved by examples/mnist.py --save

1. tinygrad_np -> PyTorch: the weights, converted to PyTorch's names and NCHW layout by
   `tinygrad_np.interop.to_torch`, are written to a .safetensors file; PyTorch reads it with
   `safetensors.torch.load_file` into the same network built from `torch.nn` layers. Both
   frameworks then score the test split: the logits agree to 1e-5 and the predicted classes are equal.
2. PyTorch -> tinygrad_np: the PyTorch network trains one more epoch (in PyTorch), is saved with
   `safetensors.torch.save_file`, and `interop.from_torch` brings it back into a tinygrad_np CNN:
   same check.

Needs PyTorch (an optional dependency): pip install torch (or this project's test extra,
pip install -e ".[test]", which pins the CPU build torch==2.13.0).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from models.mnist_cnn import INPUT_SHAPE, build_mnist_cnn  # noqa: E402
from tinygrad_np import interop  # noqa: E402
from tinygrad_np.checkpoint import load_file, save_arrays  # noqa: E402
from tinygrad_np.datasets import load_mnist  # noqa: E402
from tinygrad_np.training import predict_scores  # noqa: E402

TOLERANCE = 1e-5


def torch_mnist_cnn():
    """The MNIST CNN in PyTorch (NCHW), named as `interop` expects: a Sequential, one module per step."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 8, 3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
        nn.Linear(14 * 14 * 8, 128), nn.ReLU(), nn.Linear(128, 10),
    )  # fmt: skip


def torch_logits(net, X: np.ndarray) -> np.ndarray:
    """PyTorch's logits for channels-last images X (transposed to NCHW)."""
    import torch

    with torch.no_grad():
        return net(torch.from_numpy(np.ascontiguousarray(X.transpose(0, 3, 1, 2)))).numpy()


def compare(what: str, ours: np.ndarray, theirs: np.ndarray) -> bool:
    """Print and return whether two frameworks' logits agree to TOLERANCE with the same predicted classes."""
    gap = float(np.abs(ours - theirs).max())
    same = int((ours.argmax(1) == theirs.argmax(1)).sum())
    ok = gap <= TOLERANCE and same == len(ours)
    print(f"{what}: max |logit difference| {gap:.2e} (tolerance {TOLERANCE:g}); same predicted class "
          f"for {same:,} of {len(ours):,} test images: {'OK' if ok else 'MISMATCH'}")  # fmt: skip
    return ok


def train_torch_epoch(net, X: np.ndarray, y: np.ndarray, lr: float = 0.1, batch_size: int = 32) -> None:
    """One epoch of plain SGD in PyTorch (so that the weights coming back are PyTorch's own)."""
    import torch

    inputs, labels = torch.from_numpy(np.ascontiguousarray(X.transpose(0, 3, 1, 2))), torch.from_numpy(y)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    order = torch.from_numpy(np.random.default_rng(1).permutation(len(X)))
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        loss = torch.nn.functional.cross_entropy(net(inputs[idx]), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def main(argv: list[str] | None = None) -> int:
    """Export, compare, import, compare; exit status 0 when both directions agree."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load", metavar="PATH", help="a tinygrad_np model file (.npz or .safetensors) to export")
    parser.add_argument("--epochs", type=int, default=1, help="training epochs when not --load (default 1)")
    parser.add_argument("--limit", type=int, default=4000, help="bundled images to use (default 4000)")
    parser.add_argument("--out", default=".", help="folder for the two .safetensors files (default: here)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.out):
        parser.error(f"--out: folder {args.out!r} does not exist")
    try:
        import torch
        from safetensors.torch import load_file as torch_load_file
        from safetensors.torch import save_file as torch_save_file
    except ImportError:
        print("this example needs PyTorch: pip install torch (or pip install -e \".[test]\", which pins the "
              "CPU build torch==2.13.0)", file=sys.stderr)  # fmt: skip
        return 2
    torch.manual_seed(0)
    torch.set_num_threads(1)  # faster than 2 for this small network, and steady on shared cores

    data = load_mnist("bundled", limit=args.limit, log=None)
    print(f"data: {data.description}")
    model = build_mnist_cnn(seed=0)
    if args.load:
        model.load(args.load)
        print(f"loaded {args.load}")
    else:
        model.fit(data.X_train, data.y_train, epochs=args.epochs, lr=0.3, verbose=0)
        print(f"trained tinygrad_np's CNN for {args.epochs} epoch(s) on {len(data.X_train):,} images")

    # 1. tinygrad_np -> safetensors (PyTorch layout) -> PyTorch
    exported = os.path.join(args.out, "mnist_cnn_torch.safetensors")
    save_arrays(exported, interop.to_torch(model, INPUT_SHAPE), {"architecture": model.architecture(),
                                                                  "layout": "PyTorch NCHW"})  # fmt: skip
    net = torch_mnist_cnn()
    net.load_state_dict(torch_load_file(exported))
    print(f"wrote {exported}; PyTorch loaded it into {net.__class__.__name__} of {len(net)} modules")
    ok = compare("tinygrad_np -> PyTorch", predict_scores(model, data.X_test), torch_logits(net, data.X_test))

    # 2. PyTorch (trained one more epoch there) -> safetensors -> tinygrad_np
    train_torch_epoch(net, data.X_train, data.y_train)
    imported = os.path.join(args.out, "mnist_cnn_from_torch.safetensors")
    torch_save_file(net.state_dict(), imported)
    back = build_mnist_cnn(seed=1)
    back.load_state_dict(interop.from_torch(back, load_file(imported)[0], INPUT_SHAPE))
    print(f"PyTorch trained one more epoch and wrote {imported}; tinygrad_np loaded it")
    ok &= compare("PyTorch -> tinygrad_np", predict_scores(back, data.X_test), torch_logits(net, data.X_test))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
