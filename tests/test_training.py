"""mnist_book.training (device-aware defaults, the tf.data pipeline, the stored bench results) and
the recipes of tools/bench.py, including that chapter 5's CNN is the bench's book-cnn."""

from __future__ import annotations

import ast
import json

import numpy as np
import pytest

from book import ROOT, read_notebook
from mnist_book.training import (
    CPU_BATCH_SIZE,
    GPU_BATCH_SIZE,
    TrainingDefaults,
    gpu_available,
    load_bench_results,
    make_dataset,
    training_defaults,
)

CHAPTER = ROOT / "chapters" / "05_dense_vs_cnn.ipynb"
REQUIRED_KEYS = {"name", "test_accuracy", "wall_s", "epochs", "params"}


@pytest.fixture(scope="module")
def bench():
    from tools import bench

    return bench


# --- device-aware defaults --------------------------------------------------------------------

def test_cpu_defaults_keep_xla_off():
    cpu = training_defaults(gpu=False)
    assert cpu == TrainingDefaults("CPU", CPU_BATCH_SIZE, False, cpu.reason)
    assert "batch_size=128" in str(cpu) and "jit_compile=False" in str(cpu)


def test_gpu_defaults_use_a_bigger_batch_and_xla():
    gpu = training_defaults(gpu=True)
    assert gpu.device == "GPU" and gpu.batch_size == GPU_BATCH_SIZE > CPU_BATCH_SIZE and gpu.jit_compile


def test_defaults_follow_the_machine():
    assert training_defaults().device == ("GPU" if gpu_available() else "CPU")


# --- the input pipeline -----------------------------------------------------------------------

def test_make_dataset_batches_everything_once_per_epoch():
    images = np.arange(10 * 4, dtype="float32").reshape(10, 2, 2)
    labels = np.arange(10)
    dataset = make_dataset(images, labels, batch_size=4, training=True)
    batches = list(dataset.as_numpy_iterator())
    assert [len(y) for _, y in batches] == [4, 4, 2]
    seen = np.concatenate([y for _, y in batches])
    assert sorted(seen) == list(range(10))
    for x, y in batches:  # images stay paired with their labels
        assert np.array_equal(x[:, 0, 0], images[y, 0, 0])


def test_make_dataset_shuffles_only_for_training():
    images, labels = np.zeros((50, 1), "float32"), np.arange(50)
    test_order = np.concatenate([y for _, y in make_dataset(images, labels, 8, training=False).as_numpy_iterator()])
    assert list(test_order) == list(range(50))
    dataset = make_dataset(images, labels, 8, training=True, seed=1)
    first = np.concatenate([y for _, y in dataset.as_numpy_iterator()])
    second = np.concatenate([y for _, y in dataset.as_numpy_iterator()])
    assert list(first) != list(range(50)) and list(first) != list(second)  # a new order every epoch


def test_make_dataset_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        make_dataset(np.zeros((3, 2)), np.zeros(2), batch_size=2, training=False)


# --- the stored make bench run ----------------------------------------------------------------

def test_stored_bench_results_are_complete(bench):
    rows = load_bench_results()
    names = [row["name"] for row in rows]
    assert names == list(bench.make_recipes()), "the stored file is one full `make bench` run"
    for row in rows:
        assert REQUIRED_KEYS <= set(row), row["name"]
        assert 0 < row["test_accuracy"] <= 1, "test_accuracy is a fraction"
        for key in ("date", "machine", "cpu_cores", "tensorflow", "keras"):
            assert row[key], key
    assert len({row["date"] for row in rows}) == 1 or len({row["machine"] for row in rows}) == 1


def test_stored_results_match_the_recipes(bench):
    recipes = bench.make_recipes()
    for row in load_bench_results():
        recipe = recipes[row["name"]]
        assert row["epochs"] == recipe.epochs, row["name"]
        assert row["params"] == recipe.build().count_params(), row["name"]


# --- the recipes ------------------------------------------------------------------------------

def test_reference_is_the_published_keras_io_convnet(bench):
    recipe = bench.make_recipes()["keras-io-convnet"]
    model = recipe.build()
    assert model.count_params() == 34_826
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dropout", "Dense",
    ]
    assert recipe.fits == ({"epochs": 15, "batch_size": 128, "validation_split": 0.1},)
    assert recipe.optimizer(422) == "adam" and recipe.loss == "categorical_crossentropy"


def test_post_recipes_follow_the_posts(bench):
    recipes = bench.make_recipes()
    expected = {  # name: (parameters, epochs, batch size)
        "post-000": (118_282, 3, 32),
        "post-001": (20_175, 50, 32),
        "post-002": (407_050, 5, 128),
        "post-004": (27_882, 10, 100),
    }
    for name, (params, epochs, batch_size) in expected.items():
        recipe = recipes[name]
        assert (recipe.build().count_params(), recipe.epochs, recipe.batch_size) == (params, epochs, batch_size)
    assert recipes["post-003"].epochs == 20  # two fit calls of 10 epochs, as in the post


def test_bench_names_the_required_runs(bench):
    names = list(bench.make_recipes())
    assert names[:2] == ["keras-io-convnet", "book-cnn"]
    assert {"post-000", "post-001", "post-002", "post-003", "post-004"} <= set(names)
    assert any(name.startswith("ablation-") for name in names)


def test_goal_report(bench):
    rows = [
        {"name": "keras-io-convnet", "test_accuracy": 0.991, "wall_s": 170.0},
        {"name": "book-cnn", "test_accuracy": 0.9945, "wall_s": 80.0},
    ]
    assert bench.goal_report(rows).endswith("MET") and "= 0.47" in bench.goal_report(rows)
    rows[1]["wall_s"] = 90.0
    assert bench.goal_report(rows).endswith("NOT MET")


def test_bench_rejects_unknown_names(bench, capsys):
    with pytest.raises(SystemExit):
        bench.main(["--only", "book-cnn,no-such-recipe"])
    assert "no-such-recipe" in capsys.readouterr().err


# --- chapter 5's CNN is the bench's book-cnn --------------------------------------------------

def _is_constant(node) -> bool:
    """An assignment of a literal, such as ``EPOCHS = 5``."""
    if not isinstance(node, ast.Assign):
        return False
    try:
        ast.literal_eval(node.value)
    except ValueError:
        return False
    return True


def _chapter_namespace() -> dict:
    """Run the chapter's cells that define the book CNN (functions and constants only)."""
    import keras
    from keras import layers

    namespace = {"keras": keras, "layers": layers}
    cells = [c.source for c in read_notebook(CHAPTER).cells if c.cell_type == "code"]
    wanted = [src for src in cells if "def build_book_cnn" in src or "def book_cnn_schedule" in src]
    assert len(wanted) == 2, "chapter 5 defines build_book_cnn and book_cnn_schedule in their own cells"
    for source in wanted:
        tree = ast.parse(source)
        tree.body = [node for node in tree.body if isinstance(node, ast.FunctionDef) or _is_constant(node)]
        exec(compile(tree, str(CHAPTER), "exec"), namespace)  # noqa: S102 - our own notebook
    return namespace


def _layer_configs(model) -> list[tuple[str, dict]]:
    configs = []
    for layer in model.layers:
        config = layer.get_config()
        config.pop("name", None)
        configs.append((type(layer).__name__, json.loads(json.dumps(config, default=str))))
    return configs


def test_chapter_cnn_is_the_bench_book_cnn(bench):
    chapter = _chapter_namespace()["build_book_cnn"]()
    bench_model = bench.build_book_cnn()
    assert chapter.count_params() == bench_model.count_params()
    assert _layer_configs(chapter) == _layer_configs(bench_model)
    chapter_shift, bench_shift = _chapter_namespace()["book_augmentation"](), bench.book_augmentation(seed=42)
    assert {**chapter_shift.get_config(), "name": ""} == {**bench_shift.get_config(), "name": ""}


def test_chapter_schedule_and_epochs_are_the_bench_ones(bench):
    namespace = _chapter_namespace()
    assert namespace["EPOCHS"] == bench.BOOK_CNN_EPOCHS
    assert namespace["PEAK_LR"] == bench.BOOK_CNN_PEAK_LR
    assert namespace["LABEL_SMOOTHING"] == bench.BOOK_CNN_LABEL_SMOOTHING
    assert bench.book_cnn_loss().get_config()["label_smoothing"] == namespace["LABEL_SMOOTHING"]
    steps = 469
    chapter, ours = namespace["book_cnn_schedule"](steps), bench.book_cnn_schedule(steps)
    for step in (0, 100, 469, 1000, 2000, steps * bench.BOOK_CNN_EPOCHS - 1):
        assert float(chapter(step)) == pytest.approx(float(ours(step)))


def test_run_recipe_measures_one_run(bench):
    """One tiny run through the tf.data path gives a complete result row."""
    import dataclasses

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (256, 28, 28), dtype=np.uint8), rng.integers(0, 10, 256)
    recipe = dataclasses.replace(bench.make_recipes()["book-cnn"], fits=({"epochs": 1, "batch_size": 128},))
    row = bench.run_recipe(recipe, ((images, labels), (images[:64], labels[:64])))
    assert REQUIRED_KEYS <= set(row) and row["epochs"] == 1 and row["params"] == bench.build_book_cnn().count_params()
    assert 0 <= row["test_accuracy"] <= 1 and row["wall_s"] > 0 and len(row["epoch_s_each"]) == 1
    assert "book-cnn" in bench.format_table([row])


# --- machine facts, shared by make execute and make bench --------------------------------------

def test_describe_device_names_the_gpu_or_the_cpu():
    import os

    from tools.machine import cpu_name, describe_device

    assert describe_device(["NVIDIA H100"]) == "GPU: NVIDIA H100"
    assert describe_device([]) == f"CPU only: {os.cpu_count()} cores, {cpu_name()}"
    assert cpu_name().strip()


def test_make_dataset_augments_training_batches_only():
    images, labels = np.ones((6, 4, 4, 1), "float32"), np.arange(6)
    double = lambda x, training: 2 * x  # noqa: E731 - a stand-in for a preprocessing layer
    train = make_dataset(images, labels, 3, training=True, augment=double)
    test = make_dataset(images, labels, 3, training=False, augment=double)
    assert all(np.all(x == 2) for x, _ in train.as_numpy_iterator())
    assert all(np.all(x == 1) for x, _ in test.as_numpy_iterator())
    with pytest.raises(TypeError, match="augment must be a function"):
        make_dataset(images, labels, 3, training=True, augment="shift")


def test_book_cnn_can_be_compiled_with_xla(bench):
    """The shifts live in the input pipeline, so every layer of the book CNN supports XLA."""
    model = bench.build_book_cnn()
    assert all(layer.supports_jit for layer in model.layers)
    assert not all(layer.supports_jit for layer in bench.build_book_cnn(augment_in_model=True).layers)
