"""Train the original design's MNIST CNN (or LeNet-5) from scratch, evaluate it, and print what happened.

python examples/mnist.py                      # defaults: bundled data offline, 10 epochs, SGD
python examples/mnist.py --model lenet5       # LeNet-5 with BatchNorm and dropout: 20 epochs, SGD momentum
                                              #   0.9, one-cycle lr up to 0.1, weight decay 5e-4
python examples/mnist.py --epochs 3 --optimizer adam --save cnn.npz
python examples/mnist.py --load cnn.npz       # evaluate a saved model
python examples/mnist.py --data ~/mnist_idx --split official   # 60,000 train / the official 10,000 test
python examples/mnist.py --detect-anomaly     # stop at the first NaN/inf, naming the op that made it
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from models.lenet5 import build_lenet5  # noqa: E402
from models.mnist_cnn import INPUT_SHAPE, build_mnist_cnn  # noqa: E402
from tinygrad_np import AnomalyError, Tensor, optim  # noqa: E402
from tinygrad_np.autograd import topological_order  # noqa: E402
from tinygrad_np.checkpoint import attached_metadata, differences  # noqa: E402
from tinygrad_np.datasets import load_mnist  # noqa: E402
from tinygrad_np.nn import Sequential  # noqa: E402
from tinygrad_np.optim import lr_scheduler  # noqa: E402
from tinygrad_np.training import History, TrainingDivergedError, TrainingInterrupted  # noqa: E402
from tinygrad_np.viz import draw_graph, render_graph  # noqa: E402

DEFAULT_LR = {"sgd": 0.3, "momentum": 0.03, "adam": 0.001}  # for batch size 32 and cross-entropy
# LeNet-5's defaults (chosen for >= 98.5% on the bundled data in under 2 minutes; see the README).
LENET5_DEFAULTS = {"epochs": 20, "optimizer": "momentum", "lr": 0.1, "weight_decay": 5e-4, "scheduler": "onecycle"}
CNN_DEFAULTS = {"epochs": 10, "optimizer": "sgd", "lr": None, "weight_decay": 0.0, "scheduler": "none"}
HINGE_LR_SCALE = 0.25  # the hinge sums over 9 wrong classes: its gradients are larger
GRAPH_SUFFIXES = (".svg", ".png", ".pdf", ".dot", ".gv")


def default_lr(optimizer: str, loss: str, batch_size: int) -> float:
    """The default learning rate: SGD's scales down with smaller batches (0.3 * batch / 32)."""
    lr = DEFAULT_LR[optimizer] * (HINGE_LR_SCALE if loss == "hinge" else 1.0)
    return lr * min(1.0, batch_size / 32) if optimizer != "adam" else lr


def int_at_least(minimum: int, why: str = ""):
    """argparse type: an int >= minimum."""

    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}{why}, got {text}")
        return value

    parse.__name__ = "int"  # argparse names it in "invalid int value: 'x'"
    return parse


positive_int = int_at_least(1)
at_least_20 = int_at_least(20, " (two images per class)")


def positive_float(text: str) -> float:
    """argparse type: a finite float > 0."""
    value = float(text)
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def fraction(text: str) -> float:
    """argparse type: a float strictly between 0 and 1."""
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {text}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model",
        choices=["cnn", "lenet5"],
        default="cnn",
        help="cnn: the original design's CNN (default); lenet5: LeNet-5 with BatchNorm and dropout",
    )
    parser.add_argument("--epochs", type=positive_int, default=None, help="training epochs (default 10; lenet5 20)")
    parser.add_argument(
        "--lr",
        type=positive_float,
        default=None,
        help="learning rate (default: sgd 0.3, momentum 0.03, adam 0.001; sgd and momentum scaled by "
        "batch size / 32 below 32; a quarter of that with --loss hinge; lenet5: 0.1, the one-cycle peak)",
    )
    parser.add_argument(
        "--weight-decay", type=float, default=None, help="L2 weight decay of the optimizer (default 0; lenet5 5e-4)"
    )
    parser.add_argument(
        "--scheduler",
        choices=["none", "step", "cosine", "onecycle"],
        default=None,
        help="learning-rate schedule: step (x0.1 every third of the epochs), cosine (to 0 over the epochs), "
        "onecycle (per batch, up to --lr) (default none; lenet5 onecycle)",
    )
    parser.add_argument(
        "--dropout", type=float, default=None, help="lenet5's dropout probability before its 84 units (default 0.5)"
    )
    parser.add_argument("--batch-size", type=positive_int, default=32, help="mini-batch size; 1 is per-sample SGD")
    parser.add_argument("--loss", choices=["cross-entropy", "hinge"], default="cross-entropy")
    parser.add_argument(
        "--optimizer", choices=["sgd", "momentum", "adam"], default=None, help="default sgd; lenet5 momentum (0.9)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, split and shuffles (default 0)")
    parser.add_argument(
        "--data", default="auto", help="auto (Kaggle, else bundled), kaggle, bundled, or a folder of IDX/CSV files"
    )
    parser.add_argument(
        "--split",
        choices=["random", "official"],
        default="random",
        help="random: a stratified, seeded split of the training images (default); official: train on all of "
        "them and test on the source's own test set (Kaggle's mnist_test.csv, a folder's t10k-* or mnist_test.csv)",
    )
    parser.add_argument(
        "--test-size", type=fraction, default=None, help="test fraction of a random split (default 0.2)"
    )
    parser.add_argument("--limit", type=at_least_20, default=None, help="use only this many labelled images (>= 20)")
    parser.add_argument("--save", metavar="PATH", help="save the trained parameters (.npz, or .safetensors)")
    parser.add_argument("--load", metavar="PATH", help="evaluate a saved model (or checkpoint) instead of training")
    parser.add_argument(
        "--checkpoint",
        metavar="PATH",
        default=None,
        help="saved atomically after every epoch, and on Ctrl-C holds the last complete epoch "
        "(default mnist_checkpoint.npz, or with --resume the file resumed; '' for none)",
    )
    parser.add_argument(
        "--resume",
        metavar="PATH",
        help="continue the run a checkpoint holds (same data and flags; --epochs may be larger)",
    )
    parser.add_argument(
        "--detect-anomaly",
        action="store_true",
        help="check every op and gradient for NaN/inf; the first one stops training naming the op (slower)",
    )
    parser.add_argument("--plot", metavar="PATH", help="training curves as a PNG (needs matplotlib)")
    parser.add_argument(
        "--graph", metavar="PATH", help="draw the graph of one training step (.svg, .png, .pdf or .dot)"
    )
    args = parser.parse_args(argv)
    if args.dropout is not None and args.model != "lenet5":
        parser.error("--dropout: only --model lenet5 has dropout")
    if args.dropout is not None and not 0 <= args.dropout < 1:
        parser.error(f"--dropout: must be in [0, 1), got {args.dropout}")
    if args.weight_decay is not None and not (np.isfinite(args.weight_decay) and args.weight_decay >= 0):
        parser.error(f"--weight-decay: must be a number >= 0, got {args.weight_decay}")
    defaults = LENET5_DEFAULTS if args.model == "lenet5" else CNN_DEFAULTS
    lenet_lr = args.model == "lenet5" and args.optimizer in (None, "momentum")  # 0.1 suits the one-cycle peak
    for key, value in defaults.items():
        if getattr(args, key) is None and (key != "lr" or lenet_lr):
            setattr(args, key, value)
    args.optimizer = args.optimizer or "sgd"
    args.dropout = 0.5 if args.dropout is None else args.dropout
    if args.load and (args.save or args.resume):
        parser.error("--load evaluates a saved model; it cannot be combined with --save or --resume")
    if args.split == "official" and args.test_size is not None:
        parser.error("--test-size: --split official tests on the source's own test set; there is no fraction to set")
    if args.test_size is None and args.split == "random":
        args.test_size = 0.2
    if args.checkpoint is None:
        args.checkpoint = args.resume or "mnist_checkpoint.npz"
    # Output paths are checked now, not after a long run.
    for flag, path in (("--save", args.save), ("--plot", args.plot), ("--graph", args.graph),
                       ("--checkpoint", args.checkpoint)):  # fmt: skip
        folder = os.path.dirname(os.path.abspath(path)) if path else None
        if folder and not os.path.isdir(folder):
            parser.error(f"{flag}: folder {folder!r} does not exist")
    if args.graph and not args.graph.lower().endswith(GRAPH_SUFFIXES):
        parser.error(f"--graph: the file name must end in one of {', '.join(GRAPH_SUFFIXES)}, got {args.graph!r}")
    if args.plot:
        if not args.plot.lower().endswith(".png"):
            parser.error(f"--plot: the file name must end in .png, got {args.plot!r}")
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error("--plot needs matplotlib: pip install matplotlib (or this project's [plot] extra)")
    if args.lr is None:
        args.lr = default_lr(args.optimizer, args.loss, args.batch_size)
    return args


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, k: int = 10) -> str:
    """Rows: true class; columns: predicted class."""
    counts = np.bincount(labels * k + predicted, minlength=k * k).reshape(k, k)
    width = max(4, len(str(counts.max())) + 1)
    lines = ["true\\pred" + "".join(f"{j:>{width}}" for j in range(k))]
    lines += [f"{i:>9}" + "".join(f"{c:>{width}}" for c in row) for i, row in enumerate(counts)]
    return "\n".join(lines)


def plot_history(history: History, path: str) -> None:
    """Loss and accuracy per epoch, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    epochs = range(1, len(history.loss) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, history.loss, label="train")
    if history.val_loss:
        left.plot(epochs, history.val_loss, label="test")
    left.set(xlabel="epoch", ylabel="loss", title="Loss")
    right.plot(epochs, [100 * a for a in history.accuracy], label="train")
    if history.val_accuracy:
        right.plot(epochs, [100 * a for a in history.val_accuracy], label="test")
    right.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in (left, right):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def draw_training_step(model: Sequential, X: np.ndarray, y: np.ndarray, loss: str, path: str) -> None:
    """Render the graph of one training step (forward, loss, backward) on 32 images, layer by layer."""
    fused, model.fuse = model.fuse, False  # draw the five layers, not the fused conv+relu+pool op
    try:
        batch_loss = getattr(model(Tensor(X[:32], name="input")), loss)(y[:32])
        batch_loss.name = "loss"
        for tensor in topological_order([batch_loss], grad_only=False):
            tensor.retain_grad()  # so that every tensor, not only the parameters, shows its gradient
        batch_loss.backward()
        written = render_graph(draw_graph(batch_loss, params=model, show_grad=True), path)
        print(f"saved the graph of one training step to {written} (drawn layer by layer)")
    finally:
        model.fuse = fused
        model.zero_grad()


def build_optimizer(
    model: Sequential, args: argparse.Namespace, n_train: int
) -> tuple[str | optim.Optimizer, lr_scheduler.LRScheduler | None]:
    """The optimizer (by name when plain, as the original design's runs record it) and the schedule."""
    if not args.weight_decay and args.scheduler == "none":
        return args.optimizer, None
    params, decay = model.named_parameters(), args.weight_decay
    if args.optimizer == "adam":
        optimizer = optim.Adam(params, args.lr, weight_decay=decay)
    else:
        momentum = 0.9 if args.optimizer == "momentum" else 0.0
        optimizer = optim.SGD(params, args.lr, momentum=momentum, weight_decay=decay)
    schedules = {
        "none": lambda: None,
        "step": lambda: lr_scheduler.StepLR(optimizer, step_size=max(1, args.epochs // 3)),
        "cosine": lambda: lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs),
        "onecycle": lambda: lr_scheduler.OneCycleLR(
            optimizer, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=-(-n_train // args.batch_size),
            cycle_momentum=args.optimizer != "sgd",
        ),
    }  # fmt: skip
    return optimizer, schedules[args.scheduler]()


def main(argv: list[str] | None = None) -> int:
    """Run the main job; returns the exit status."""
    args = parse_args(argv)
    start = time.perf_counter()
    data = load_mnist(args.data, test_size=args.test_size or 0.2, seed=args.seed, limit=args.limit, split=args.split)
    print(f"data: {data.description}")
    print(f"train {len(data.X_train):,} images, test {len(data.X_test):,} images, shape {data.X_train.shape[1:]}")
    used = {
        "data": data.source if data.source in ("kaggle", "bundled") else os.path.abspath(data.source),
        "split": args.split,
        "test_size": args.test_size,
        "seed": args.seed,
        "limit": args.limit,
    }  # the data actually used ("auto" is recorded as what it fell back to) and how it was split

    model = build_lenet5(args.seed, args.dropout) if args.model == "lenet5" else build_mnist_cnn(seed=args.seed)
    print(model.summary(INPUT_SHAPE))
    loss = args.loss.replace("-", "_")
    if args.graph:
        draw_training_step(model, data.X_train, data.y_train, loss, args.graph)
    if args.load:
        model.load(args.load)
        print(f"loaded parameters from {args.load}")
        trained_on = attached_metadata(args.load)
        if trained_on is None:
            print(f"note: {args.load} does not record the data it was trained on: the test images below may "
                  "include images it was trained on", file=sys.stderr)  # fmt: skip
        else:  # compare the data and split only (a --save file also records the architecture and epochs)
            changed = differences({key: value for key, value in trained_on.items() if key in used}, used)
            if changed:
                print(f"warning: this model was trained on other data or another split: {'; '.join(changed)}: "
                      "the test images below may include images it was trained on", file=sys.stderr)  # fmt: skip
    else:
        extras = "".join(
            f", {text}" for text, on in ((f"weight decay {args.weight_decay:g}", args.weight_decay),
                                         (f"{args.scheduler} schedule", args.scheduler != "none")) if on
        )  # fmt: skip
        print(
            f"training: {args.epochs} epoch{'s' * (args.epochs != 1)}, {args.optimizer} lr={args.lr:g}{extras}, "
            f"batch {args.batch_size}, {args.loss} loss, seed {args.seed}"
        )
        optimizer, scheduler = build_optimizer(model, args, len(data.X_train))
        history = model.fit(
            data.X_train,
            data.y_train,
            epochs=args.epochs,
            lr=args.lr,
            batch_size=args.batch_size,
            loss=loss,
            optimizer=optimizer,
            scheduler=scheduler,
            seed=args.seed,
            validation_data=(data.X_test, data.y_test),
            checkpoint=args.checkpoint or None,
            resume=args.resume or False,
            metadata=used,
            detect_anomaly=args.detect_anomaly,
        )
        if args.save:
            meta = {**used, "architecture": model.architecture(), "epochs": args.epochs}
            print(f"saved parameters to {model.save(args.save, metadata=meta)}")
        if args.plot:
            plot_history(history, args.plot)
            print(f"saved training curves to {args.plot}")

    result = model.evaluate(data.X_test, data.y_test, loss)
    test_set = "official test set" if args.split == "official" else "test split"
    print(f"test accuracy: {100 * result.accuracy:.2f}% (loss {result.loss:.4f}) on {len(data.X_test):,} images"
          f"{' (the official test set)' * (args.split == 'official')}")  # fmt: skip
    if data.official_test is not None and args.split == "random":
        X_official, y_official = data.official_test
        official = model.evaluate(X_official, y_official, loss)
        print(f"official test file accuracy: {100 * official.accuracy:.2f}% on {len(X_official):,} images")
    print(f"confusion matrix ({test_set}):")
    print(confusion_matrix(data.y_test, model.predict(data.X_test)))
    print(f"total time: {time.perf_counter() - start:.1f} s")
    return 0


def run(argv: list[str] | None = None) -> int:
    """`main`, with the errors a user can cause reported as one line instead of a traceback."""
    try:
        return main(argv)
    except TrainingInterrupted as stop:
        print(f"\n{stop}", file=sys.stderr)
        if stop.checkpoint:
            print(f"continue with: python examples/mnist.py --resume {stop.checkpoint} (and the same flags)",
                  file=sys.stderr)  # fmt: skip
        return 130
    except (TrainingDivergedError, AnomalyError, ValueError, TypeError, OSError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run())
