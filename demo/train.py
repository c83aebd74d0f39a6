"""Run Groups demo: trains small Keras models over a grid, then serves the logs.

    python demo/train.py --logdir demo_logs [--serve] [--host H] [--port P] [--quick] [--overwrite]

Trains a seeded MLP classifier on a synthetic dataset (no downloads) over
learning rate x batch size x 3 seeds. Each run is named with
`tb_plugin.get_run_logdir`, logged with Keras' own `TensorBoard` callback (which
writes `train/` and `validation/`) and annotated with
`tb_plugin.keras.RunMetadataCallback`::

    demo_logs/lr=0.003,bs=32,seed=1/run_2026_11_27-01_29_05/{train,validation}

Four more runs under `demo_logs/other/` show other naming conventions the tab
parses with no configuration: a PyTorch `SummaryWriter` default name, a Hydra
multirun sweep of two jobs, and a TensorFlow-tutorial `fit/<timestamp>` run
annotated after training with `tb_plugin.writer.write_run_metadata`. Keeping
them out of the grid's folders leaves the grid as exactly 6 groups of 3 seeds.

`--serve` then starts TensorBoard on the log directory in this process and
blocks until Ctrl-C. TensorFlow is imported only after the arguments and the
log directory have been checked, so mistakes fail fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import shutil
import socket
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

# Before TensorFlow is imported anywhere: keep its C++ start-up chatter quiet.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

try:
    import tb_plugin
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import tb_plugin

MARKER = ".rungroups-demo"
"""A file in the log directory's root that marks it as written by this demo."""

OTHER = "other"
"""The top-level folder of the runs that show other naming conventions."""

OTHER_RUNS = 4
"""How many runs `_train_other_conventions` trains."""

DATA_SEED = 1234
"""The dataset is the same for every run; a run's seed sets weights and shuffling."""


@dataclasses.dataclass(frozen=True)
class Grid:
    """What to train: the hyper-parameter grid and the size of each run."""

    learning_rates: tuple[float, ...]
    batch_sizes: tuple[int, ...]
    seeds: tuple[int, ...]
    epochs: int
    rows: int
    """Examples in all; a fifth are for validation. Both parts are multiples of
    every batch size used (128 for the full grid), because a last, smaller batch
    makes TensorFlow trace the training step a second time: about a second a run."""


FULL = Grid(
    learning_rates=(0.0003, 0.003, 0.03),
    batch_sizes=(32, 128),
    seeds=(0, 1, 2),
    epochs=8,
    rows=3200,
)
QUICK = Grid(learning_rates=(0.001, 0.01), batch_sizes=(64,), seeds=(0, 1), epochs=2, rows=640)

FEATURES = 20
CLASSES = 3
HIDDEN = 64


@dataclasses.dataclass(frozen=True)
class Result:
    """One finished run, as printed and used to pick the best grid run."""

    run_dir: str
    val_loss: float
    val_accuracy: float
    seconds: float


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the demo from the command line.

    Args:
      argv: Arguments without the program name; defaults to `sys.argv[1:]`.

    Returns:
      The process exit status.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    problem = prepare_logdir(args.logdir, overwrite=args.overwrite)
    if problem:
        parser.exit(2, f"{parser.prog}: error: {problem}\n")

    started = time.monotonic()
    results = train_all(args.logdir, QUICK if args.quick else FULL)
    elapsed = time.monotonic() - started
    print(f"{len(results)} runs in {elapsed:.1f} s, written to {args.logdir}", flush=True)
    if not args.serve:
        print(f"See them with: tensorboard --logdir {args.logdir}", flush=True)
        return 0
    return serve(args.logdir, host=args.host, port=args.port)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="demo/train.py",
        description=(
            "Train small Keras models over a learning rate x batch size x seed grid, "
            "with conventional run names and Run Groups metadata, then optionally serve them."
        ),
    )
    parser.add_argument(
        "--logdir", default="demo_logs", help="log directory (default: %(default)s)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a tiny grid of 2 epochs, for tests (about 20 s)"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="delete LOGDIR first if it holds an earlier run of this demo",
    )
    parser.add_argument(
        "--serve", action="store_true", help="then start TensorBoard on LOGDIR until Ctrl-C"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to serve on (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="port to serve on (default: TensorBoard's, 6006 or the next free one)",
    )
    return parser


def prepare_logdir(logdir: str, *, overwrite: bool) -> str | None:
    """Makes `logdir` ready for a fresh demo, or says why it is not.

    An empty or missing directory is used as is. A non-empty one is deleted only
    with `overwrite` and only when it holds this demo's marker file, so neither
    a second run of the demo nor a typo in `--logdir` can mix runs or delete
    someone's logs.

    Args:
      logdir: The log directory.
      overwrite: Whether an earlier demo in `logdir` may be deleted.

    Returns:
      None once `logdir` exists and holds only the demo's marker file; else a
      one-line message, with nothing changed.
    """
    if os.path.exists(logdir) and not os.path.isdir(logdir):
        return f"--logdir {logdir!r} is not a directory"
    if os.path.isdir(logdir) and os.listdir(logdir):
        is_demo = os.path.isfile(os.path.join(logdir, MARKER))
        if not is_demo:
            return (
                f"--logdir {logdir!r} is not empty and was not written by this demo; "
                "choose a new or empty directory"
            )
        if not overwrite:
            return (
                f"--logdir {logdir!r} already holds demo runs; pass --overwrite to delete "
                "them and train again, or choose another directory"
            )
        shutil.rmtree(logdir)
    os.makedirs(logdir, exist_ok=True)
    with open(os.path.join(logdir, MARKER), "w", encoding="utf-8") as f:
        json.dump({"written_by": "demo/train.py", "started_at": time.time()}, f)
        f.write("\n")
    return None


def make_dataset(rows: int, seed: int = DATA_SEED) -> tuple[Any, Any, Any, Any]:
    """A seeded 3-class problem: labels from a random teacher network, 10% noise.

    Args:
      rows: Number of examples; the last fifth is the validation set.
      seed: Seed of the data (not of training).

    Returns:
      `(x_train, y_train, x_val, y_val)` as float32 features and int labels.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, FEATURES)).astype("float32")
    hidden = np.tanh(0.5 * x @ rng.normal(size=(FEATURES, 16)))
    y = (hidden @ rng.normal(size=(16, CLASSES))).argmax(axis=1)
    noisy = rng.random(rows) < 0.1
    y[noisy] = rng.integers(0, CLASSES, size=int(noisy.sum()))
    split = rows * 4 // 5
    return x[:split], y[:split], x[split:], y[split:]


def build_model(optimizer: str, learning_rate: float) -> Any:
    """A small MLP classifier, compiled.

    Args:
      optimizer: A Keras optimizer name (`adam`, `sgd`, `rmsprop`, ...).
      learning_rate: Its learning rate.

    Returns:
      The compiled `keras.Model`.
    """
    import keras

    keras.backend.clear_session()  # same layer names in every run, no memory growth
    model = keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(HIDDEN, activation="relu"),
            keras.layers.Dense(HIDDEN, activation="relu"),
            keras.layers.Dense(CLASSES, activation="softmax"),
        ],
        name="mlp",
    )
    model.compile(
        optimizer=keras.optimizers.get(
            {"class_name": optimizer, "config": {"learning_rate": learning_rate}}
        ),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _import_keras() -> Any:
    """Imports Keras (and TensorFlow), printing TensorFlow's start-up lines once.

    TensorFlow loads two native libraries that each write the same start-up lines
    (absl's "before InitializeLog" warning, oneDNN's notice) straight to file
    descriptor 2, below Python's `sys.stderr`. They are caught in a temporary file
    and written back without the repeats (equal but for the log prefix's time).
    """
    import re
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            import keras
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        caught.seek(0)
        lines = caught.read().decode("utf-8", "replace").splitlines()
    seen = set()
    for line in lines:
        text = re.sub(r"^[IWEF]\d{4} [\d:.]+\s+\d+ ", "", line)
        if text not in seen:
            seen.add(text)
            print(line, file=sys.stderr)
    sys.stderr.flush()
    return keras


def train_all(logdir: str, grid: Grid) -> list[Result]:
    """Trains the grid and the other-convention runs into `logdir`, printing a line each.

    Args:
      logdir: A log directory made ready by `prepare_logdir`.
      grid: What to train.

    Returns:
      The results, grid runs first.
    """
    keras = _import_keras()

    from tb_plugin import keras as rg_keras
    from tb_plugin import writer

    data = make_dataset(grid.rows)
    total = len(grid.learning_rates) * len(grid.batch_sizes) * len(grid.seeds) + OTHER_RUNS
    results: list[Result] = []

    def report(result: Result) -> None:
        results.append(result)
        name = os.path.relpath(result.run_dir, logdir)
        print(
            f"[{len(results):2d}/{total}] {name:<52} val_loss={result.val_loss:.4f} "
            f"val_accuracy={result.val_accuracy:.3f} ({result.seconds:.1f} s)",
            flush=True,
        )

    dataset = {"name": "synthetic-teacher", "rows": grid.rows, "features": FEATURES}
    for lr in grid.learning_rates:
        for bs in grid.batch_sizes:
            for seed in grid.seeds:
                run_dir = _new_dir(tb_plugin.get_run_logdir(logdir, lr=lr, bs=bs, seed=seed))
                hparams = {"lr": lr, "bs": bs, "seed": seed, "optimizer": "adam"}
                callbacks = [
                    keras.callbacks.TensorBoard(run_dir),
                    rg_keras.RunMetadataCallback(
                        hparams={**hparams, "epochs": grid.epochs, "hidden_units": HIDDEN},
                        notes=f"Adam, lr {lr}, batch size {bs}, seed {seed}.",
                        tags=["demo", "grid"],
                        dataset=dataset,
                    ),
                ]
                report(_fit(run_dir, data, grid.epochs, callbacks, **hparams))

    best = min(results, key=lambda r: r.val_loss)
    recorded = writer.read_run_metadata(best.run_dir)
    # Post-hoc annotation of a finished run: the merge keeps its hparams and metrics.
    writer.write_run_metadata(
        best.run_dir,
        {
            "tags": [*recorded.get("tags", []), "best"],
            "notes": f"{recorded.get('notes', '')} Lowest final val_loss of the grid.".strip(),
        },
    )

    _train_other_conventions(logdir, data, grid.epochs, report)
    return results


def _new_dir(run_dir: str) -> str:
    # get_run_logdir's timestamp has one-second resolution: two runs with the same
    # params in the same second would share a directory. The grid never repeats
    # params and the other runs differ in path, but fail loudly rather than mix.
    if os.path.exists(run_dir):
        raise RuntimeError(f"run directory {run_dir!r} already exists")
    return run_dir


def _fit(
    run_dir: str,
    data: tuple[Any, Any, Any, Any],
    epochs: int,
    callbacks: list[Any],
    *,
    lr: float,
    bs: int,
    seed: int,
    optimizer: str,
) -> Result:
    import keras

    started = time.monotonic()
    keras.utils.set_random_seed(seed)  # weights and shuffling; the data is fixed
    model = build_model(optimizer, lr)
    x_train, y_train, x_val, y_val = data
    history = model.fit(
        x_train,
        y_train,
        batch_size=bs,
        epochs=epochs,
        validation_data=(x_val, y_val),
        callbacks=callbacks,
        verbose=0,
    )
    return Result(
        run_dir=run_dir,
        val_loss=float(history.history["val_loss"][-1]),
        val_accuracy=float(history.history["val_accuracy"][-1]),
        seconds=time.monotonic() - started,
    )


def _train_other_conventions(
    logdir: str, data: tuple[Any, Any, Any, Any], epochs: int, report: Callable[[Result], None]
) -> None:
    """Four runs named the way other tools name them, under `<logdir>/other/`."""
    import keras

    from tb_plugin import keras as rg_keras
    from tb_plugin import writer

    other = os.path.join(logdir, OTHER)
    now = datetime.datetime.now()

    # PyTorch: SummaryWriter(comment="_lr=0.05") logs to
    # runs/<%b%d_%H-%M-%S>_<host><comment>, scalars in the run directory itself.
    comment = "_lr=0.05"
    run_dir = _new_dir(
        os.path.join(other, "runs", now.strftime("%b%d_%H-%M-%S") + "_" + socket.gethostname())
        + comment
    )
    hparams = {"lr": 0.05, "bs": 64, "seed": 0, "optimizer": "sgd"}
    callbacks = [
        _torch_style_scalars(run_dir),
        rg_keras.RunMetadataCallback(
            hparams={**hparams, "epochs": epochs, "hidden_units": HIDDEN},
            notes="Logged the way torch.utils.tensorboard.SummaryWriter does.",
            tags=["demo", "pytorch-style"],
            log_dir=run_dir,
        ),
    ]
    report(_fit(run_dir, data, epochs, callbacks, **hparams))

    # Hydra: `python train.py -m optimizer=sgd,rmsprop` runs jobs 0 and 1 in
    # multirun/<date>/<time>/<job>; the overrides live in the job's .hydra/.
    sweep = os.path.join(other, "multirun", now.strftime("%Y-%m-%d"), now.strftime("%H-%M-%S"))
    for job, optimizer in enumerate(("sgd", "rmsprop")):
        run_dir = _new_dir(os.path.join(sweep, str(job)))
        os.makedirs(os.path.join(run_dir, ".hydra"))
        with open(os.path.join(run_dir, ".hydra", "overrides.yaml"), "w", encoding="utf-8") as f:
            f.write(f"- optimizer={optimizer}\n")
        hparams = {"lr": 0.01, "bs": 64, "seed": 0, "optimizer": optimizer}
        callbacks = [
            keras.callbacks.TensorBoard(run_dir),
            rg_keras.RunMetadataCallback(
                hparams={**hparams, "epochs": epochs, "hidden_units": HIDDEN},
                notes="A Hydra multirun job.",
                tags=["demo", "hydra"],
            ),
        ]
        report(_fit(run_dir, data, epochs, callbacks, **hparams))

    # TensorFlow tutorials: logs/fit/<%Y%m%d-%H%M%S> with only the TensorBoard
    # callback, annotated after training with no TensorFlow and no open writer.
    run_dir = _new_dir(os.path.join(other, "fit", now.strftime("%Y%m%d-%H%M%S")))
    hparams = {"lr": 0.001, "bs": 32, "seed": 0, "optimizer": "adam"}
    report(_fit(run_dir, data, epochs, [keras.callbacks.TensorBoard(run_dir)], **hparams))
    writer.write_run_metadata(
        run_dir,
        {
            "notes": "Trained as in the TensorFlow tutorial, annotated after training.",
            "tags": ["demo", "tutorial", "annotated"],
            "status": "finished",
            "hparams": {**hparams, "epochs": epochs, "hidden_units": HIDDEN},
        },
    )


def _torch_style_scalars(run_dir: str) -> Any:
    """A callback writing per-epoch scalars the way PyTorch users do.

    `SummaryWriter.add_scalar("Loss/train", ...)` writes a `simple_value`
    summary through TensorBoard's own `EventFileWriter`; this uses the same
    class, with no PyTorch.
    """
    import keras
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    file_writer = EventFileWriter(run_dir)

    def on_epoch_end(epoch: int, logs: dict[str, Any] | None) -> None:
        summary = summary_pb2.Summary()
        for name, key in (("Loss", "loss"), ("Accuracy", "accuracy")):
            for split, prefix in (("train", ""), ("validation", "val_")):
                if prefix + key in (logs or {}):
                    summary.value.add(tag=f"{name}/{split}", simple_value=float(logs[prefix + key]))
        file_writer.add_event(event_pb2.Event(wall_time=time.time(), step=epoch, summary=summary))

    return keras.callbacks.LambdaCallback(
        on_epoch_end=on_epoch_end, on_train_end=lambda logs: file_writer.close()
    )


def serve(logdir: str, *, host: str, port: int | None) -> int:
    """Serves `logdir` with TensorBoard in this process until Ctrl-C.

    Args:
      logdir: The log directory.
      host: The address to bind.
      port: The port, or None for TensorBoard's default choice.

    Returns:
      The process exit status.
    """
    from tensorboard import default, program

    from tb_plugin import plugin

    plugins = default.get_plugins()
    # Installed, the tab comes through the `tensorboard_plugins` entry point;
    # from a bare checkout it is added here.
    if not any(
        (p if isinstance(p, type) else type(p)).__module__.startswith("tb_plugin.") for p in plugins
    ):
        plugins.append(plugin.RunGroupsLoader)
    argv = [None, "--logdir", logdir, "--host", host]
    if port is not None:
        argv += ["--port", str(port)]
    tb = program.TensorBoard(plugins=plugins)
    tb.configure(argv=argv)
    try:
        url = tb.launch()
    except program.TensorBoardServerException as e:
        print(f"demo/train.py: error: {e.msg}", file=sys.stderr)
        return 1
    print(f"TensorBoard at {url}#rungroups (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
