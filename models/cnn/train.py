"""Train the in-house CNN by distillation from dlib's ResNet embeddings on LFW.

The student sees the aligned 64x64 crop; its target is dlib's (L2-normalised) embedding of the
same image, computed once by :mod:`models.cnn.features`. The loss is cosine distance
(1 - cos) between the student's unit-norm output and the teacher's. People appearing in the
``holdout_folds`` of ``pairs.txt`` are left out entirely, so the model can be evaluated
honestly on those folds. Training stops when the epoch budget or the wall-time budget is
spent, or when validation loss stops improving; the learning rate follows a cosine decay over
whichever budget runs out first.
"""

from __future__ import annotations

import csv
import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .architecture import EMBEDDING_DIM, INPUT_SIZE, _keras, build_embedding_model
from .features import LfwFeatures, compute_features
from .lfw import people_in_folds, read_pairs

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Every input of a training run. Folds are 1-based as in the literature ("folds 1-5")."""

    images_dir: Path
    pairs_path: Path
    features_path: Path
    output_dir: Path
    holdout_folds: tuple[int, ...] = ()
    seed: int = 1234
    batch_size: int = 128
    max_epochs: int = 60
    max_minutes: float = 25.0  # wall-time budget, minutes
    learning_rate: float = 2e-3  # peak, after linear warm-up
    warmup_epochs: float = 1.0
    weight_decay: float = 1e-4  # AdamW decoupled decay
    dropout: float = 0.2
    val_fraction: float = 0.05  # share of training images held out for early stopping
    patience: int = 8  # epochs without val-loss improvement before stopping
    shift_px: int = 4  # random translation, pixels
    rotation: float = 10.0  # max random rotation, degrees
    zoom: float = 0.08  # max random zoom, fraction of the crop side
    brightness: float = 25.0  # max brightness change, in 0..255 units
    contrast: tuple[float, float] = (0.75, 1.25)
    max_images: int | None = None  # cap on training images (smoke tests); None = all
    init_weights: Path | None = None  # warm start from these weights (.keras or .weights.h5)
    workers: int = 2  # processes for the one-off feature computation
    model_name: str = "face_cnn"
    extra: dict[str, str] = field(default_factory=dict)  # free-form notes kept in the log


@dataclass(frozen=True)
class TrainResult:
    """What a run produced: the best model (.keras), its learning curves, and figures."""

    model_path: Path
    history_csv: Path
    curves_png: Path
    epochs: int
    wall_seconds: float
    best_val_loss: float
    train_images: int
    train_people: int


def training_rows(
    features: LfwFeatures, pairs_path: Path, holdout_folds: tuple[int, ...]
) -> NDArray[np.int64]:
    """Row indices of the images whose person appears in none of ``holdout_folds`` (1-based)."""
    excluded = people_in_folds(read_pairs(pairs_path), {f - 1 for f in holdout_folds})
    keep = np.array([str(p) not in excluded for p in features.person])
    return np.flatnonzero(keep).astype(np.int64)


def teacher_targets(dlib: NDArray[np.float32], rows: NDArray[np.int64]) -> NDArray[np.float32]:
    """dlib's embeddings, L2-normalised, centred on the mean over ``rows``, renormalised.

    Unit dlib embeddings share one dominant direction (their mean has norm ~0.9; two random
    faces have cosine ~0.84), so a student matching them uncentred scores well by predicting
    that direction and collapses. Centred targets carry only what tells faces apart.
    """
    unit = dlib / np.linalg.norm(dlib, axis=1, keepdims=True)
    centred = unit - unit[rows].mean(axis=0)
    return np.asarray(centred / np.linalg.norm(centred, axis=1, keepdims=True), np.float32)


def _dataset(
    config: TrainConfig, crops: NDArray[np.uint8], targets: NDArray[np.float32], training: bool
) -> Any:
    import tensorflow as tf  # noqa: PLC0415

    ds = tf.data.Dataset.from_tensor_slices((crops, targets))
    if not training:
        return ds.batch(config.batch_size).prefetch(tf.data.AUTOTUNE)
    pad, size, lo, hi = config.shift_px, INPUT_SIZE, config.contrast[0], config.contrast[1]

    def augment(image: Any, target: Any) -> tuple[Any, Any]:
        x = tf.image.random_flip_left_right(tf.cast(image, tf.float32))
        x = tf.pad(x, [[pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
        x = tf.image.random_crop(x, [size, size, 3])
        mean = tf.reduce_mean(x)
        x = (x - mean) * tf.random.uniform([], lo, hi) + mean
        x = x + tf.random.uniform([], -config.brightness, config.brightness)
        return tf.clip_by_value(x, 0.0, 255.0), target

    keras = _keras()
    geometry = keras.Sequential(
        [
            keras.layers.RandomRotation(
                config.rotation / 360.0, fill_mode="reflect", seed=config.seed
            ),
            keras.layers.RandomZoom(config.zoom, fill_mode="reflect", seed=config.seed + 1),
        ],
        name="augment_geometry",
    )
    ds = ds.shuffle(len(crops), seed=config.seed, reshuffle_each_iteration=True)
    ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(config.batch_size, drop_remainder=True)
    if config.rotation > 0 or config.zoom > 0:
        ds = ds.map(
            lambda x, y: (geometry(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE
        )
    return ds.prefetch(tf.data.AUTOTUNE)


def _schedule_callback(config: TrainConfig, steps_per_epoch: int) -> Any:
    keras = _keras()
    total_steps = config.max_epochs * steps_per_epoch
    warmup = max(1, int(config.warmup_epochs * steps_per_epoch))
    budget = config.max_minutes * 60.0

    class BudgetCosine(keras.callbacks.Callback):  # type: ignore[misc,name-defined]
        """Warm-up, then cosine decay over progress = max(step share, wall-time share)."""

        def __init__(self) -> None:
            super().__init__()
            self.step, self.start = 0, time.monotonic()

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            progress = max(self.step / total_steps, (time.monotonic() - self.start) / budget)
            rate = config.learning_rate * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))
            rate *= min(1.0, (self.step + 1) / warmup)
            self.model.optimizer.learning_rate.assign(rate)
            self.step += 1

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if time.monotonic() - self.start >= budget:
                logger.info("wall-time budget of %.1f min spent; stopping", config.max_minutes)
                self.model.stop_training = True

    return BudgetCosine()


def train(config: TrainConfig) -> TrainResult:
    """Run one training run; returns where the best model and its curves were written."""
    keras = _keras()
    keras.utils.set_random_seed(config.seed)
    features = compute_features(config.images_dir, config.features_path, config.workers)
    rows = training_rows(features, config.pairs_path, config.holdout_folds)
    rng = np.random.default_rng(config.seed)
    rows = rng.permutation(rows)
    if config.max_images is not None:
        rows = rows[: config.max_images]
    n_val = max(1, int(round(len(rows) * config.val_fraction)))
    val_rows, train_rows = rows[:n_val], rows[n_val:]
    teacher = teacher_targets(features.dlib, train_rows)
    logger.info(
        "training on %d images of %d people (%d for validation); holdout folds %s",
        len(train_rows),
        len(set(features.person[rows])),
        n_val,
        config.holdout_folds,
    )

    config.output_dir.mkdir(parents=True, exist_ok=True)
    best_weights = config.output_dir / "best.weights.h5"
    history_csv = config.output_dir / "history.csv"
    steps = len(train_rows) // config.batch_size
    if steps < 1:
        raise ValueError(f"{len(train_rows)} training images is fewer than one batch")

    model = build_embedding_model((INPUT_SIZE, INPUT_SIZE, 3), EMBEDDING_DIM, config.dropout)
    if config.init_weights is not None:
        logger.info("warm start from %s", config.init_weights)
        model.load_weights(str(config.init_weights))
    model.compile(
        optimizer=keras.optimizers.AdamW(config.learning_rate, weight_decay=config.weight_decay),
        loss=keras.losses.CosineSimilarity(axis=-1),  # = -cos; +1 gives the cosine distance
    )
    callbacks = [
        _schedule_callback(config, steps),
        keras.callbacks.ModelCheckpoint(
            str(best_weights), monitor="val_loss", save_best_only=True, save_weights_only=True
        ),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience),
        keras.callbacks.CSVLogger(str(history_csv)),
    ]
    start = time.monotonic()
    history = model.fit(
        _dataset(config, features.crops[train_rows], teacher[train_rows], training=True),
        validation_data=_dataset(config, features.crops[val_rows], teacher[val_rows], False),
        epochs=config.max_epochs,
        callbacks=callbacks,
        shuffle=False,  # the tf.data pipeline shuffles (seeded)
        verbose=2,
    )
    wall = time.monotonic() - start

    # Re-save the best weights into a fresh, uncompiled model: no optimizer state is shipped.
    final = build_embedding_model((INPUT_SIZE, INPUT_SIZE, 3), EMBEDDING_DIM, config.dropout)
    final.load_weights(str(best_weights))
    model_path = config.output_dir / f"{config.model_name}.keras"
    final.save(str(model_path))
    curves_png = plot_curves(history_csv, config.output_dir / "learning_curves.png")
    val_losses = [float(v) for v in history.history.get("val_loss", [math.nan])]
    result = TrainResult(
        model_path=model_path,
        history_csv=history_csv,
        curves_png=curves_png,
        epochs=len(val_losses),
        wall_seconds=wall,
        best_val_loss=1.0 + min(val_losses),
        train_images=len(train_rows),
        train_people=len(set(features.person[train_rows])),
    )
    _write_summary(config, result)
    return result


def plot_curves(history_csv: Path, png: Path) -> Path:
    """Plot training and validation cosine distance per epoch from a CSVLogger file."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    with history_csv.open() as f:
        rows = list(csv.DictReader(f))
    epochs = [int(r["epoch"]) + 1 for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label in (("loss", "training"), ("val_loss", "validation")):
        if rows and key in rows[0]:
            ax.plot(epochs, [1.0 + float(r[key]) for r in rows], label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("cosine distance to centred dlib teacher")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)
    return png


def _write_summary(config: TrainConfig, result: TrainResult) -> None:
    lines = [f"{k}={v}" for k, v in {**asdict(config), **asdict(result)}.items()]
    (config.output_dir / "summary.txt").write_text("\n".join(lines) + "\n")
