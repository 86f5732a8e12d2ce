"""Train the in-house CNN by distillation from dlib's ResNet descriptors on LFW.

The student sees the aligned crop (:data:`~models.cnn.architecture.INPUT_SIZE` pixels); its
target is dlib's raw 128-d descriptor of the same, unaugmented image, computed once by
:mod:`models.cnn.features`. The loss has two parts:

* the squared Euclidean distance between the student's vector and the teacher's, and
* the squared difference between the student's and the teacher's pairwise distances within
  the batch, the geometry the matcher thresholds. Batches are built from pairs of images of one
  person wherever a person has two or more, so every batch holds same-person pairs as well as
  different-person pairs.

People appearing in the ``holdout_folds`` of ``pairs.txt`` are left out entirely, so the model
can be evaluated honestly on those folds. Training stops when the epoch budget or the
wall-time budget is spent; the learning rate follows a cosine decay over whichever budget runs
out first, and the weights with the lowest validation loss are kept (checkpointed every epoch,
so an interrupted run can be resumed with ``init_weights``).

With ``views_path``, each training image is shown, at random, as itself or as one of its
teacher views (:mod:`models.cnn.views`: mirrored, shrunk as a classroom camera sees it), each
with dlib's descriptor of that view as the target. Validation always uses the unaltered images,
so validation losses stay comparable between runs with and without views.

With ``morphs_path``, every batch also holds ``morph_batch`` teacher morphs
(:mod:`models.cnn.morphs`: two training faces blended, with dlib's descriptor of the blend),
drawn at random among the morphs both of whose images are training images of this run.

With ``ema`` above 0, the run also keeps an exponential moving average of the weights
(Polyak averaging, updated after every step with that momentum; batch-normalisation statistics
included). Validation then scores the average instead of the weights themselves, and the best
epoch's average is what is saved.
"""

from __future__ import annotations

import csv
import logging
import math
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .architecture import EMBEDDING_DIM, INPUT_SIZE, _keras, build_embedding_model
from .features import LfwFeatures, compute_features
from .lfw import people_in_folds, read_pairs
from .morphs import MORPH_SETS, TeacherMorphs, compute_morphs
from .views import compute_views

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
    max_epochs: int = 200
    max_minutes: float = 25.0  # wall-time budget, minutes
    learning_rate: float = 2e-3  # peak, after linear warm-up
    warmup_epochs: float = 1.0
    weight_decay: float = 1e-4  # AdamW decoupled decay
    dropout: float = 0.1
    pair_weight: float = 2.0  # weight of the pairwise-distance loss next to the vector loss
    val_fraction: float = 0.05  # share of training images held out for model selection
    shift_px: float = 3.0  # random translation, pixels at 64x64 (scaled with the input)
    rotation: float = 8.0  # max random rotation, degrees
    zoom: float = 0.06  # max random zoom, fraction of the crop side
    brightness: float = 25.0  # max brightness change, in 0..255 units
    contrast: tuple[float, float] = (0.75, 1.25)
    max_images: int | None = None  # cap on training images (smoke tests); None = all
    init_weights: Path | None = None  # warm start from these weights (.keras or .weights.h5)
    views_path: Path | None = None  # teacher views cache (models.cnn.views); None = no views
    morphs_path: Path | None = None  # teacher morphs cache (models.cnn.morphs); None = none
    morph_set: str = "uniform"  # how that cache is drawn when computed (morphs.MORPH_SETS)
    morph_batch: int = 64  # teacher morphs added to each batch of images when morphs are used
    ema: float = 0.0  # momentum of the weights' moving average kept and saved; 0 = none
    workers: int = 2  # processes for the one-off feature computation
    threads: int = 0  # TensorFlow threads for training; 0 = TensorFlow's default
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


def pair_batches_order(
    person: NDArray[np.str_], rows: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    """``rows`` in an epoch's order: each person's images shuffled and cut into pairs (a
    person's odd image out stays single), the pairs and singles shuffled, so that consecutive
    rows 2k, 2k+1 often show one person and every batch holds same-person pairs."""
    by_person: dict[str, list[int]] = {}
    for row in rows.tolist():
        by_person.setdefault(str(person[row]), []).append(row)
    units: list[list[int]] = []
    for images in by_person.values():
        order = rng.permutation(images).tolist()
        units.extend(order[i : i + 2] for i in range(0, len(order), 2))
    return np.array(
        [row for i in rng.permutation(len(units)) for row in units[i]], dtype=np.int64
    )


def _pairwise(x: Any) -> Any:
    import tensorflow as tf  # noqa: PLC0415

    squared = tf.reduce_sum(tf.square(x), axis=1)
    d2 = squared[:, None] + squared[None, :] - 2.0 * tf.matmul(x, x, transpose_b=True)
    return tf.sqrt(tf.maximum(d2, 1e-9))


def distillation_loss(student: Any, teacher: Any, pair_weight: float) -> tuple[Any, Any]:
    """(vector loss, pairwise-distance loss) of a batch: mean squared distance between each
    student vector and its teacher, and mean squared difference of the off-diagonal pairwise
    distances."""
    import tensorflow as tf  # noqa: PLC0415

    vector = tf.reduce_mean(tf.reduce_sum(tf.square(student - teacher), axis=1))
    n = tf.shape(student)[0]
    off = 1.0 - tf.eye(n)
    diff = tf.square(_pairwise(student) - _pairwise(teacher)) * off
    pairs = tf.reduce_sum(diff) / tf.maximum(tf.reduce_sum(off), 1.0)
    return vector, pair_weight * pairs


def _augment(config: TrainConfig, images: Any, seed: Any) -> Any:
    """Random flip (unless teacher views, which hold mirror images with their own targets, are
    used), rotation, zoom, shift (one projective warp), contrast and brightness of a uint8
    batch; returns float32 0..255."""
    import tensorflow as tf  # noqa: PLC0415

    x = tf.cast(images, tf.float32)
    n = tf.shape(x)[0]
    size = float(INPUT_SIZE)
    s = tf.random.stateless_uniform([n, 7], seed, -1.0, 1.0)
    flip = s[:, 0] > (2.0 if config.views_path is not None else 0.0)
    x = tf.where(flip[:, None, None, None], tf.reverse(x, axis=[2]), x)
    angle = s[:, 1] * config.rotation * math.pi / 180.0
    scale = 1.0 + s[:, 2] * config.zoom
    shift = config.shift_px * size / 64.0
    tx, ty = s[:, 3] * shift, s[:, 4] * shift
    # Output pixel (x, y) samples input (a0 x + a1 y + a2, b0 x + b1 y + b2): a rotation and
    # zoom about the centre, then a shift.
    c = (size - 1.0) / 2.0
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    a2 = c - cos * c + sin * c + tx
    b2 = c - sin * c - cos * c + ty
    zeros = tf.zeros_like(cos)
    transforms = tf.stack([cos, -sin, a2, sin, cos, b2, zeros, zeros], axis=1)
    x = tf.raw_ops.ImageProjectiveTransformV3(
        images=x,
        transforms=transforms,
        output_shape=tf.shape(x)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="REFLECT",
    )
    lo, hi = config.contrast
    contrast = lo + (s[:, 5] + 1.0) / 2.0 * (hi - lo)
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    x = (x - mean) * contrast[:, None, None, None] + mean
    x = x + (s[:, 6] * config.brightness)[:, None, None, None]
    return tf.clip_by_value(x, 0.0, 255.0)


class WeightAverage:
    """An exponential moving average of all of a model's weights (batch-normalisation
    statistics included): ``average = momentum * average + (1 - momentum) * weights`` at
    every :meth:`update`, starting from the weights as they are when it is made."""

    def __init__(self, model: Any, momentum: float) -> None:
        import tensorflow as tf  # noqa: PLC0415

        if not 0.0 < momentum < 1.0:
            raise ValueError(f"the average's momentum must lie between 0 and 1 (got {momentum})")
        self.model = model
        self.momentum = momentum
        self.averages = [tf.Variable(w.numpy(), trainable=False) for w in model.weights]

    def update(self) -> None:
        """Move the averages towards the current weights (callable inside a tf.function)."""
        for average, weight in zip(self.averages, self.model.weights, strict=True):
            average.assign(self.momentum * average + (1.0 - self.momentum) * weight.value)

    @contextmanager
    def swapped_in(self) -> Iterator[None]:
        """The model holds the averaged weights inside the block, its own ones again after."""
        own = [w.numpy() for w in self.model.weights]
        for weight, average in zip(self.model.weights, self.averages, strict=True):
            weight.assign(average.numpy())
        try:
            yield
        finally:
            for weight, value in zip(self.model.weights, own, strict=True):
                weight.assign(value)


def _learning_rate(
    config: TrainConfig, step: int, total_steps: int, warmup: int, elapsed: float
) -> float:
    """Warm-up, then cosine decay over progress = max(step share, wall-time share)."""
    progress = max(step / total_steps, elapsed / (config.max_minutes * 60.0))
    rate = config.learning_rate * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))
    return rate * min(1.0, (step + 1) / warmup)


def train(config: TrainConfig) -> TrainResult:
    """Run one training run; returns where the best model and its curves were written."""
    import tensorflow as tf  # noqa: PLC0415

    if config.threads > 0:
        tf.config.threading.set_intra_op_parallelism_threads(config.threads)
        tf.config.threading.set_inter_op_parallelism_threads(config.threads)
    keras = _keras()
    keras.utils.set_random_seed(config.seed)
    features = compute_features(config.images_dir, config.features_path, config.workers)
    crops = features.crops_of_size(INPUT_SIZE)
    rows = training_rows(features, config.pairs_path, config.holdout_folds)
    rng = np.random.default_rng(config.seed)
    rows = rng.permutation(rows)
    if config.max_images is not None:
        rows = rows[: config.max_images]
    n_val = max(1, int(round(len(rows) * config.val_fraction)))
    val_rows, train_rows = np.sort(rows[:n_val]), rows[n_val:]
    teacher = np.asarray(features.dlib, dtype=np.float32)
    # Every image's (crop, target) choices: the original, then its teacher views if any.
    train_crops, train_teacher = crops[:, None], teacher[:, None]
    if config.views_path is not None:
        views = compute_views(config.images_dir, features, config.views_path, config.workers)
        train_crops = np.concatenate([train_crops, views.crops], axis=1)
        train_teacher = np.concatenate([train_teacher, views.dlib], axis=1)
    morphs: TeacherMorphs | None = None
    morph_rows: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
    if config.morphs_path is not None:
        morphs = compute_morphs(
            config.images_dir,
            features,
            config.pairs_path,
            config.morphs_path,
            config.workers,
            MORPH_SETS[config.morph_set],
        )
        morph_rows = morphs.usable(train_rows)
        logger.info("%d teacher morphs of this run's training images", len(morph_rows))
        if len(morph_rows) == 0:
            raise ValueError(f"{config.morphs_path} holds no morph of this run's images")
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
    else:
        # Start from the teacher's mean descriptor: the network then learns only what tells
        # faces apart (dlib's descriptors share a large common component, norm about 1.4).
        embedding = model.get_layer("embedding")
        embedding.bias.assign(teacher[train_rows].mean(axis=0))
    optimizer = keras.optimizers.AdamW(config.learning_rate, weight_decay=config.weight_decay)
    average = WeightAverage(model, config.ema) if config.ema > 0 else None

    @tf.function(reduce_retracing=True)  # type: ignore[untyped-decorator]
    def train_step(images: Any, targets: Any, seed: Any) -> tuple[Any, Any]:
        x = _augment(config, images, seed)
        with tf.GradientTape() as tape:
            vector, pairs = distillation_loss(model(x, training=True), targets, config.pair_weight)
            loss = vector + pairs
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        if average is not None:
            average.update()
        return vector, pairs

    @tf.function(reduce_retracing=True)  # type: ignore[untyped-decorator]
    def val_step(images: Any, targets: Any) -> tuple[Any, Any]:
        student = model(tf.cast(images, tf.float32), training=False)
        return distillation_loss(student, targets, config.pair_weight)

    def kept() -> AbstractContextManager[None]:
        """Inside it the model holds the weights that are validated and saved."""
        return nullcontext() if average is None else average.swapped_in()

    def validate() -> tuple[float, float]:
        # Fixed batches of the (sorted) validation rows: comparable from epoch to epoch.
        sums = np.zeros(2)
        batches = 0
        for i in range(0, len(val_rows) - config.batch_size + 1, config.batch_size):
            chunk = val_rows[i : i + config.batch_size]
            sums += [float(v) for v in val_step(crops[chunk], teacher[chunk])]
            batches += 1
        if batches == 0:  # fewer validation images than a batch (smoke tests)
            sums += [float(v) for v in val_step(crops[val_rows], teacher[val_rows])]
            batches = 1
        return float(sums[0] / batches), float(sums[1] / batches)

    total_steps = config.max_epochs * steps
    warmup = max(1, int(config.warmup_epochs * steps))
    start, step, best = time.monotonic(), 0, math.inf
    history: list[dict[str, float]] = []  # "epoch" is an int
    for epoch in range(config.max_epochs):
        order = pair_batches_order(features.person, train_rows, rng)
        sums = np.zeros(2)
        for b in range(steps):
            elapsed = time.monotonic() - start
            optimizer.learning_rate.assign(
                _learning_rate(config, step, total_steps, warmup, elapsed)
            )
            chunk = order[b * config.batch_size : (b + 1) * config.batch_size]
            # Without views no draw is made, so a seed gives the same epochs as before.
            views_of = train_crops.shape[1]
            view = rng.integers(0, views_of, len(chunk)) if views_of > 1 else 0
            seed = tf.constant([config.seed, step], dtype=tf.int32)
            images, targets = train_crops[chunk, view], train_teacher[chunk, view]
            if morphs is not None:
                picked = morph_rows[rng.integers(0, len(morph_rows), config.morph_batch)]
                images = np.concatenate([images, morphs.crops(crops, picked)])
                targets = np.concatenate([targets, morphs.dlib[picked]])
            sums += [float(v) for v in train_step(images, targets, seed)]
            step += 1
        with kept():
            val_vector, val_pairs = validate()
        row = {
            "epoch": epoch,
            "loss": float(sums.sum() / steps),
            "vector_loss": float(sums[0] / steps),
            "pair_loss": float(sums[1] / steps),
            "val_loss": val_vector + val_pairs,
            "val_vector_loss": val_vector,
            "val_pair_loss": val_pairs,
            "minutes": (time.monotonic() - start) / 60.0,
        }
        history.append(row)
        _write_history(history_csv, history)
        logger.info(
            "epoch %d: loss %.4f (vector %.4f, pairs %.4f), val %.4f (%.4f, %.4f), %.1f min",
            epoch + 1, row["loss"], row["vector_loss"], row["pair_loss"], row["val_loss"],
            val_vector, val_pairs, row["minutes"],
        )
        if row["val_loss"] < best:
            best = row["val_loss"]
            with kept():
                model.save_weights(str(best_weights))
        if time.monotonic() - start >= config.max_minutes * 60.0:
            logger.info("wall-time budget of %.1f min spent; stopping", config.max_minutes)
            break
    wall = time.monotonic() - start

    # Re-save the best weights into a fresh, uncompiled model: no optimizer state is shipped.
    final = build_embedding_model((INPUT_SIZE, INPUT_SIZE, 3), EMBEDDING_DIM, config.dropout)
    final.load_weights(str(best_weights))
    model_path = config.output_dir / f"{config.model_name}.keras"
    final.save(str(model_path))
    curves_png = plot_curves(history_csv, config.output_dir / "learning_curves.png")
    result = TrainResult(
        model_path=model_path,
        history_csv=history_csv,
        curves_png=curves_png,
        epochs=len(history),
        wall_seconds=wall,
        best_val_loss=best,
        train_images=len(train_rows),
        train_people=len(set(features.person[train_rows])),
    )
    _write_summary(config, result)
    return result


def _write_history(path: Path, history: list[dict[str, float]]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)


def plot_curves(history_csv: Path, png: Path) -> Path:
    """Plot training and validation loss per epoch from the run's history.csv."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    with history_csv.open() as f:
        rows = list(csv.DictReader(f))
    epochs = [int(r["epoch"]) + 1 for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label in (("loss", "training"), ("val_loss", "validation")):
        if rows and key in rows[0]:
            ax.plot(epochs, [float(r[key]) for r in rows], label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("distillation loss (vector + pairwise distances)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)
    return png


def _write_summary(config: TrainConfig, result: TrainResult) -> None:
    lines = [f"{k}={v}" for k, v in {**asdict(config), **asdict(result)}.items()]
    (config.output_dir / "summary.txt").write_text("\n".join(lines) + "\n")
