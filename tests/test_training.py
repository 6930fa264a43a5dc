"""mnist_book.training (device-aware defaults, the tf.data pipeline, the stored bench results) and
the recipes of tools/bench.py, including that chapter 5's CNN is the bench's book-cnn."""

from __future__ import annotations

import ast
import dataclasses
import itertools
import json
import re

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


def test_defaults_follow_the_machine(monkeypatch):
    import tensorflow as tf

    fake_gpu = tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU")
    for devices, expected in (([], "CPU"), ([fake_gpu], "GPU")):
        monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None, d=devices: d if kind == "GPU" else [])
        assert gpu_available() is bool(devices)
        assert training_defaults().device == expected


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
    assert names == list(bench.make_recipes()), "the stored file has one row per recipe, in the bench's order"
    for row in rows:
        assert REQUIRED_KEYS <= set(row), row["name"]
        assert 0 < row["test_accuracy"] <= 1, "test_accuracy is a fraction"
        for key in ("date", "machine", "cpu_cores", "tensorflow", "keras"):
            assert row[key], key
    # A full run, or a full run with some recipes trained again (--store merge): one machine, one set
    # of versions, each row with the date of its own run.
    # Chapter 8's scaling rows are compared only with each other: they come from one run of their own.
    for group in ({"scaling"}, {row["group"] for row in rows} - {"scaling"}):
        in_group = [row for row in rows if row["group"] in group]
        for key in ("machine", "cpu_cores", "python", "tensorflow", "keras"):
            assert len({row[key] for row in in_group}) == 1, f"the stored rows of {group} come from more than one {key}"
    assert len({row["date"] for row in rows if row["group"] == "scaling"}) == 1, "the scaling rows ran together"


def test_held_out_recipes_record_their_validation_accuracy(bench):
    """The book CNN and its ablations trained on all but the last VALIDATION_IMAGES images and were
    validated on those after every epoch, the images the reference's validation_split=0.1 holds out."""
    recipes = bench.make_recipes()
    held_out = [name for name, recipe in recipes.items() if recipe.holdout]
    assert {"book-cnn", "book-cnn-seed1", "book-cnn-seed2"} <= set(held_out)
    assert {name for name, recipe in recipes.items() if recipe.group in ("ablation", "ablation-seed")} - set(
        held_out
    ) == {"ablation-reference-5-epochs"}
    reference = recipes["keras-io-convnet"]
    assert bench.TRAIN_IMAGES * reference.fits[0]["validation_split"] == bench.VALIDATION_IMAGES
    for row in load_bench_results():
        if row["name"] in held_out:
            assert row["val_images"] == bench.VALIDATION_IMAGES, row["name"]
            assert row["train_images"] == bench.TRAIN_IMAGES - bench.VALIDATION_IMAGES, row["name"]
            assert len(row["val_accuracy_each"]) == row["epochs"], row["name"]
            assert row["val_accuracy_each"][-1] == row["val_accuracy_last_epoch"], row["name"]


def test_merge_rows_replaces_rows_by_name_in_the_bench_order(bench):
    stored = [{"name": "a", "date": 1}, {"name": "b", "date": 1}, {"name": "c", "date": 1}]
    merged = bench.merge_rows(stored, [{"name": "c", "date": 2}, {"name": "a", "date": 2}], ["a", "b", "c", "d"])
    assert merged == [{"name": "a", "date": 2}, {"name": "b", "date": 1}, {"name": "c", "date": 2}]


def test_stored_results_match_the_recipes(bench):
    recipes = bench.make_recipes()
    for row in load_bench_results():
        recipe = recipes[row["name"]]
        assert row["epochs"] == recipe.epochs, row["name"]
        assert row["params"] == recipe.build().count_params(), row["name"]
        assert (row["seed"], row["batch_size"]) == (recipe.seed, recipe.batch_size), row["name"]


def test_stored_results_come_from_the_current_recipes(bench):
    """Each stored row records the fingerprint of the recipe that produced it (tools/bench.py,
    recipe_fingerprint); a recipe edited since then no longer matches its stored result."""
    recipes = bench.make_recipes()
    changed = [
        row["name"]
        for row in load_bench_results()
        if row.get("recipe_sha256") != bench.recipe_fingerprint(recipes[row["name"]])
    ]
    assert not changed, f"recipe {', '.join(changed)} changed after the stored run: run make bench"


def _integer_labels(images, labels):
    """The book CNN's images with integer labels instead of one-hot ones."""
    return (images.astype("float32") / 255.0)[..., None], labels


def test_fingerprint_follows_what_determines_a_result(bench):
    import keras

    book = bench.make_recipes()["book-cnn"]
    fingerprint = bench.recipe_fingerprint(book)
    assert len(fingerprint) == 64 and bench.recipe_fingerprint(bench.make_recipes()["book-cnn"]) == fingerprint
    assert bench.recipe_fingerprint(dataclasses.replace(book, title="another title", source="x")) == fingerprint
    changes = {
        "seed": {"seed": 1},
        "epochs": {"fits": ({"epochs": 6, "batch_size": 128},)},
        "batch size": {"fits": ({"epochs": 5, "batch_size": 256},)},
        "pipeline": {"input_pipeline": "numpy"},
        "augmentation": {"augment": False},
        "XLA": {"jit_compile": True},
        "model": {"build": lambda: bench.build_book_cnn(batch_norm=False)},
        "optimizer": {"optimizer": lambda steps: keras.optimizers.Adam(1e-3)},
        "loss": {"loss": bench.book_cnn_loss(label_smoothing=0.0)},
        "preparation": {"prepare": _integer_labels},
        "held-out images": {"holdout": 5_000},
    }
    others = {what: bench.recipe_fingerprint(dataclasses.replace(book, **change)) for what, change in changes.items()}
    assert fingerprint not in others.values() and len(set(others.values())) == len(changes), others


# --- the recipes ------------------------------------------------------------------------------


def test_reference_is_the_published_keras_io_convnet(bench):
    recipe = bench.make_recipes()["keras-io-convnet"]
    model = recipe.build()
    assert model.count_params() == 34_826
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D",
        "MaxPooling2D",
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dropout",
        "Dense",
    ]
    assert recipe.fits == ({"epochs": 15, "batch_size": 128, "validation_split": 0.1},)
    assert recipe.optimizer(422) == "adam" and recipe.loss == "categorical_crossentropy"


def _dense_params(widths) -> int:
    """Weights and biases of dense layers from widths[0] inputs through each width in turn:
    (784, 128, 10) has 784 * 128 + 128 + 128 * 10 + 10."""
    return sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(widths))


def test_post_recipes_follow_the_posts(bench):
    from keras import layers

    recipes = bench.make_recipes()
    expected = {  # name: (widths from the 784 pixels to the 10 outputs, epochs, batch size), as the posts give them
        "post-000": ((784, 128, 128, 10), 3, 32),
        "post-001": ((784, 25, 15, 10), 50, 32),
        "post-002": ((784, 512, 10), 5, 128),
        "post-004": ((784, 32, 64, 10), 10, 100),
    }
    for name, (widths, epochs, batch_size) in expected.items():
        recipe = recipes[name]
        model = recipe.build()
        assert [layer.units for layer in model.layers if isinstance(layer, layers.Dense)] == list(widths[1:]), name
        assert model.count_params() == _dense_params(widths), name
        assert (recipe.epochs, recipe.batch_size) == (epochs, batch_size), name
    # Post 001 outputs logits, and its loss applies the softmax.
    assert recipes["post-001"].build().layers[-1].get_config()["activation"] == "linear"
    assert recipes["post-001"].loss.get_config()["from_logits"]
    assert recipes["post-003"].epochs == 20  # two fit calls of 10 epochs, as in the post


def test_bench_names_the_required_runs(bench):
    names = list(bench.make_recipes())
    assert names[:2] == ["keras-io-convnet", "book-cnn"]
    assert {"post-000", "post-001", "post-002", "post-003", "post-004"} <= set(names)
    assert any(name.startswith("ablation-") for name in names)


def test_goal_report(bench):
    rows = [
        {"name": "keras-io-convnet", "test_accuracy": 0.991, "val_accuracy_last_epoch": 0.992, "wall_s": 170.0},
        {"name": "book-cnn", "test_accuracy": 0.993, "val_accuracy_last_epoch": 0.9945, "wall_s": 80.0},
    ]
    assert bench.goal_report(rows).endswith(" MET") and "= 0.47" in bench.goal_report(rows)  # read on validation
    rows[1]["wall_s"] = 90.0
    assert bench.goal_report(rows).endswith("NOT MET")
    rows[1].update(wall_s=80.0, test_accuracy=0.996, val_accuracy_last_epoch=0.993)
    assert bench.goal_report(rows).endswith("NOT MET")  # the test accuracy does not decide


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
    # The chapter trains on all but the same last images the bench holds out.
    (held_out,) = [
        ast.literal_eval(node.value)
        for cell in read_notebook(CHAPTER).cells
        if cell.cell_type == "code" and "VALIDATION_IMAGES = " in cell.source
        for node in ast.parse(cell.source).body
        if _is_constant(node) and [ast.unparse(t) for t in node.targets] == ["VALIDATION_IMAGES"]
    ]
    assert held_out == bench.VALIDATION_IMAGES == bench.make_recipes()["book-cnn"].holdout
    assert bench.book_cnn_loss().get_config()["label_smoothing"] == namespace["LABEL_SMOOTHING"]
    steps = 469
    chapter, ours = namespace["book_cnn_schedule"](steps), bench.book_cnn_schedule(steps)
    for step in (0, 100, 469, 1000, 2000, steps * bench.BOOK_CNN_EPOCHS - 1):
        assert float(chapter(step)) == pytest.approx(float(ours(step)))


# --- chapter 5's post recipes are the bench's posts -------------------------------------------


def _chapter_post_runs() -> dict:
    """What chapter 5's post cells build and train, without the training: each post cell's
    assignments run (the model, then the train_and_measure call) with train_and_measure replaced by
    a stub that records its arguments, on 20 random images of all ten labels in place of MNIST."""
    import keras
    from keras import layers

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8), np.tile(rng.permutation(10), 2)
    runs = {}

    def train_and_measure(post, model, train, test, optimizer, loss, **fit_args):
        runs[post[:3]] = {
            "label": post,
            "model": model,
            "train": train,
            "test": test,
            "optimizer": optimizer,
            "loss": loss,
            "fit_args": fit_args,
        }

    namespace = {
        "keras": keras,
        "layers": layers,
        "np": np,
        "seed_everything": lambda seed=42: seed,
        "x_train": images,
        "y_train": labels,
        "x_test": images[10:],
        "y_test": labels[10:],
    }
    cells = [c.source for c in read_notebook(CHAPTER).cells if c.cell_type == "code"]
    (preprocessing,) = [src for src in cells if "def flat_scaled" in src]
    tree = ast.parse(preprocessing)
    tree.body = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    exec(compile(tree, str(CHAPTER), "exec"), namespace)  # noqa: S102 - our own notebook
    namespace["train_and_measure"] = train_and_measure
    for source in cells:
        if re.search(r"^post\d{3} = keras\.Sequential", source, flags=re.M):
            tree = ast.parse(source)
            tree.body = [node for node in tree.body if isinstance(node, ast.Assign)]  # no asserts, no training
            exec(compile(tree, str(CHAPTER), "exec"), namespace)  # noqa: S102
    return runs, (images, labels), (images[10:], labels[10:])


def _without_name(serialized):
    """A serialized Keras object without the name Keras numbers anew with every object (adam_3)."""
    if isinstance(serialized, dict) and isinstance(serialized.get("config"), dict):
        return {**serialized, "config": {k: v for k, v in serialized["config"].items() if k != "name"}}
    return serialized


def _optimizer_config(optimizer) -> dict:
    import keras

    return _without_name(keras.optimizers.serialize(keras.optimizers.get(optimizer)))


def _loss_config(loss):
    import keras

    return _without_name(keras.losses.serialize(keras.losses.get(loss)))


def test_chapter_post_recipes_are_the_bench_posts(bench):
    """The dense networks chapter 5 trains are the bench's post recipes: same layers, parameters,
    preprocessing, optimizer, loss and batch size, and the epochs the chapter states."""
    recipes = bench.make_recipes()
    runs, train, test = _chapter_post_runs()
    assert sorted(runs) == ["000", "001", "002", "004"]
    for post, run in runs.items():
        recipe = recipes[f"post-{post}"]
        model = recipe.build()
        assert _layer_configs(run["model"]) == _layer_configs(model), post
        assert [list(t.shape) for t in run["model"].inputs] == [list(t.shape) for t in model.inputs], post
        assert run["model"].count_params() == model.count_params(), post
        for chapter_data, data in ((run["train"], train), (run["test"], test)):
            for chapter_array, bench_array in zip(chapter_data, recipe.prepare(*data), strict=True):
                np.testing.assert_array_equal(chapter_array, bench_array, err_msg=post)
        steps = bench.recipe_steps_per_epoch(recipe)
        assert _optimizer_config(run["optimizer"]) == _optimizer_config(recipe.optimizer(steps)), post
        assert _loss_config(run["loss"]) == _loss_config(recipe.loss), post
        assert run["fit_args"].get("batch_size", 32) == recipe.batch_size, post
        # Post 001 trains 2 of its 50 epochs in the chapter and says so in its label.
        partial = re.search(r"\((\d+) of (\d+) epochs\)", run["label"])
        assert run["fit_args"]["epochs"] == (int(partial[1]) if partial else recipe.epochs), post
        assert not partial or int(partial[2]) == recipe.epochs, post


def test_chapter_post_table_states_the_bench_recipes(bench):
    """The table of the five posts in chapter 5 gives each bench recipe's widths, optimizer, epochs
    and batch size; the text gives the layers of post 003's stand-in."""
    from keras import layers

    recipes = bench.make_recipes()
    markdown = [c.source for c in read_notebook(CHAPTER).cells if c.cell_type == "markdown"]
    (table,) = [src for src in markdown if "| post | preprocessing |" in src]
    rows = {
        cells[0]: cells
        for line in table.splitlines()
        if (cells := [c.strip() for c in line.strip("|").split("|")])[0] in {"000", "001", "002", "003", "004"}
    }
    assert sorted(rows) == ["000", "001", "002", "003", "004"]
    for post, (_, _, layer_text, optimizer_text, fit_text, _) in rows.items():
        recipe = recipes[f"post-{post}"]
        epochs, batch_size = (int(n) for n in re.findall(r"\d+", fit_text)[:2])
        assert (epochs, batch_size) == (recipe.fits[0]["epochs"], recipe.batch_size), post
        optimizer = _optimizer_config(recipe.optimizer(bench.recipe_steps_per_epoch(recipe)))
        assert optimizer_text.startswith(optimizer["class_name"]), post
        rate = re.search(r"learning rate ([\d.e-]+)", optimizer_text)
        assert not rate or np.float32(rate[1]) == np.float32(optimizer["config"]["learning_rate"]), post
        widths = [layer.units for layer in recipe.build().layers if isinstance(layer, layers.Dense)]
        if post != "003":
            assert "-".join(map(str, widths)) in layer_text, post
    second_fit = recipes["post-003"].fits[1]
    then = f"then {second_fit['epochs']} more with `validation_split={second_fit['validation_split']}`"
    assert then in rows["003"][4]

    def short(layer):
        name = type(layer).__name__
        return {
            "Conv2D": f"Conv({getattr(layer, 'filters', 0)})",
            "MaxPooling2D": "Pool",
            "Dense": f"Dense({getattr(layer, 'units', 0)})",
        }.get(name, name)

    stand_in = "-".join(short(layer) for layer in recipes["post-003"].build().layers)
    assert stand_in in " ".join(" ".join(markdown).split()), stand_in


def test_run_recipe_measures_one_run(bench):
    """One tiny run through the tf.data path gives a complete result row."""
    import dataclasses

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (256, 28, 28), dtype=np.uint8), rng.integers(0, 10, 256)
    recipe = dataclasses.replace(
        bench.make_recipes()["book-cnn"], fits=({"epochs": 1, "batch_size": 128},), holdout=56
    )  # 200 images to train on, the last 56 to validate on
    row = bench.run_recipe(recipe, ((images, labels), (images[:64], labels[:64])))
    assert REQUIRED_KEYS <= set(row) and row["epochs"] == 1 and row["params"] == bench.build_book_cnn().count_params()
    assert (row["train_images"], row["val_images"], len(row["val_accuracy_each"])) == (200, 56, 1)
    assert abs(56 * row["val_accuracy_last_epoch"] - round(56 * row["val_accuracy_last_epoch"])) < 0.01
    with pytest.raises(ValueError, match="holds out 256 of only 256"):
        bench.run_recipe(dataclasses.replace(recipe, holdout=256), ((images, labels), (images, labels)))
    assert abs(64 * row["test_accuracy"] - round(64 * row["test_accuracy"])) < 0.01  # a share of the 64 test images
    assert row["wall_s"] >= row["fit_s"] > 0 and len(row["epoch_s_each"]) == 1
    assert row["loss_first_epoch"] == row["loss_last_epoch"]  # one epoch
    full_run = bench.make_recipes()["book-cnn"]
    assert row["recipe_sha256"] == bench.recipe_fingerprint(recipe) != bench.recipe_fingerprint(full_run)
    assert "book-cnn" in bench.format_table([row])


# --- machine facts, shared by make execute and make bench --------------------------------------


def test_describe_device_names_the_gpu_or_the_cpu(monkeypatch):
    from tools import machine

    assert machine.describe_device(["NVIDIA H100", "NVIDIA H100"]) == "GPU: NVIDIA H100, NVIDIA H100"
    monkeypatch.setattr(machine.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(machine, "cpu_name", lambda: "AMD EPYC")
    assert machine.describe_device([]) == "CPU only: 2 cores, AMD EPYC"


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
