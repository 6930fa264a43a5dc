"""Plausible wrong answers to every exercise: each one must fail its self-check.

The perturbed run (tests/test_student_edition.py) runs, at each exercise, the stub, then every wrong
answer listed here for that exercise, each followed by the self-check, which must fail with its hint;
then the book's solution. A self-check that passes one of these answers is too weak: tighten it.

Each entry is the code a student might write instead of the solution. It runs in the chapter's kernel
right after the stub (so the exercise's names are None until it sets them) and must set every name
that the self-check reads. Write mistakes that a student would plausibly make (the wrong axis, the
wrong class, a constant, an off-by-one), not nonsense.
"""

from __future__ import annotations

WRONG_ANSWERS: dict[str, list[str]] = {
    # Chapter 1
    "Exercise 1.1": [
        # Every sixth label in a block (a strided reshape) instead of six consecutive runs.
        "def largest_block_gap(labels):\n"
        "    shares = np.stack([100 * np.bincount(b, minlength=10) / len(b) for b in labels.reshape(-1, 6).T])\n"
        "    return float((shares.max(axis=0) - shares.min(axis=0)).max())\n"
        "shuffle_rng = np.random.default_rng(0)\n"
        "shuffled_gaps = np.array([largest_block_gap(shuffle_rng.permutation(y_train)) for _ in range(100)])",
        # Fractions instead of percentages.
        "def largest_block_gap(labels):\n"
        "    shares = np.stack([np.bincount(b, minlength=10) / len(b) for b in labels.reshape(6, -1)])\n"
        "    return float((shares.max(axis=0) - shares.min(axis=0)).max())\n"
        "shuffle_rng = np.random.default_rng(0)\n"
        "shuffled_gaps = np.array([largest_block_gap(shuffle_rng.permutation(y_train)) for _ in range(100)])",
        # Only the first and the last block compared.
        "def largest_block_gap(labels):\n"
        "    shares = np.stack([100 * np.bincount(b, minlength=10) / len(b) for b in labels.reshape(6, -1)])\n"
        "    return float(np.abs(shares[-1] - shares[0]).max())\n"
        "shuffle_rng = np.random.default_rng(0)\n"
        "shuffled_gaps = np.array([largest_block_gap(shuffle_rng.permutation(y_train)) for _ in range(100)])",
        # Without minlength: a block that lacks the highest digits gets a shorter row, and np.stack fails.
        "def largest_block_gap(labels):\n"
        "    shares = np.stack([100 * np.bincount(b) / len(b) for b in labels.reshape(6, -1)])\n"
        "    return float((shares.max(axis=0) - shares.min(axis=0)).max())\n"
        "shuffle_rng = np.random.default_rng(0)\n"
        "shuffled_gaps = np.array([largest_block_gap(shuffle_rng.permutation(y_train)) for _ in range(100)])",
        # The right function, but one shuffle reused: 100 copies of the same gap.
        "def largest_block_gap(labels):\n"
        "    shares = np.stack([100 * np.bincount(b, minlength=10) / len(b) for b in labels.reshape(6, -1)])\n"
        "    return float((shares.max(axis=0) - shares.min(axis=0)).max())\n"
        "shuffled = np.random.default_rng(0).permutation(y_train)\n"
        "shuffled_gaps = np.array([largest_block_gap(shuffled) for _ in range(100)])",
    ],
    "Exercise 1.2, the header": [
        # Little-endian: the byte order of an Intel CPU, not of the file.
        "def read_label_file(raw):\n"
        '    return np.frombuffer(raw, dtype="<u4", count=2), np.frombuffer(raw, dtype=np.uint8, offset=8)\n'
        'test_label_header, test_labels_from_idx = read_label_file(idx_file_bytes("t10k-labels-idx1-ubyte"))',
        # The image file's 16-byte header length: the labels start 8 bytes too late.
        "def read_label_file(raw):\n"
        '    return np.frombuffer(raw, dtype=">u4", count=2), np.frombuffer(raw, dtype=np.uint8, offset=16)\n'
        'test_label_header, test_labels_from_idx = read_label_file(idx_file_bytes("t10k-labels-idx1-ubyte"))',
    ],
    # Chapter 2
    "Exercise 2.1": [
        # A placeholder array and any index.
        "distances_to_mean = np.zeros(60000)\nfarthest_index = 0",
        # Distances to the mean of all images, not to the image's own class mean.
        "distances_to_mean = np.linalg.norm(flat_train - flat_train.mean(axis=0), axis=1)\n"
        "farthest_index = int(np.argmax(distances_to_mean))",
        # The right distances, but the farthest image of one class only (here the 1s).
        "distances_to_mean = np.linalg.norm(flat_train - class_means.reshape(10, -1)[y_train], axis=1)\n"
        "ones = np.flatnonzero(y_train == 1)\n"
        "farthest_index = int(ones[np.argmax(distances_to_mean[ones])])",
        # Raw pixels (0-255) against means on the 0-1 scale.
        "raw = x_train.reshape(60000, -1)\n"
        "distances_to_mean = np.linalg.norm(raw - class_means.reshape(10, -1)[y_train], axis=1)\n"
        "farthest_index = int(np.argmax(distances_to_mean))",
        # The closest image instead of the farthest.
        "distances_to_mean = np.linalg.norm(flat_train - class_means.reshape(10, -1)[y_train], axis=1)\n"
        "farthest_index = int(np.argmin(distances_to_mean))",
    ],
    "Exercise 2.2": [
        # Averaged over the pixels of each image instead of over the images.
        "inked_share = (x_train > 0).mean(axis=(1, 2))\n"
        "most_inked_pixel = (int(np.argmax(inked_share)) // 28, int(np.argmax(inked_share)) % 28)",
        # The mean ink (0 to 1) instead of the share of images in which the pixel is inked.
        "inked_share = x_train.mean(axis=0) / 255\n"
        "most_inked_pixel = tuple(int(i) for i in np.unravel_index(np.argmax(inked_share), inked_share.shape))",
        # The index in the flattened array, not (row, column).
        "inked_share = (x_train > 0).mean(axis=0)\nmost_inked_pixel = int(np.argmax(inked_share))",
        # The share array transposed, indexed [column, row]: its largest share still sits at (15, 15).
        "inked_share = (x_train > 0).mean(axis=0).T\n"
        "most_inked_pixel = tuple(int(i) for i in np.unravel_index(np.argmax(inked_share), inked_share.shape))",
    ],
    "Exercise 2.3": [
        # The 784-pixel answer of section 8, reused.
        "predicted_2d = nearest_centroid\naccuracy_2d = nearest_centroid_accuracy",
        # Test images left on the 0-255 scale.
        "means_2d = (flat_means - pca.mean_) @ pca.components_[:2].T\n"
        "test_2d = (x_test.reshape(len(x_test), -1) - pca.mean_) @ pca.components_[:2].T\n"
        "predicted_2d = np.linalg.norm(test_2d[:, None, :] - means_2d[None, :, :], axis=-1).argmin(axis=1)\n"
        "accuracy_2d = float(np.mean(predicted_2d == y_test))",
        # The first two coordinates of every component instead of the first two components.
        "means_2d = (flat_means - pca.mean_) @ pca.components_[:, :2]\n"
        "test_2d = (flat_test - pca.mean_) @ pca.components_[:, :2]\n"
        "predicted_2d = np.linalg.norm(test_2d[:, None, :] - means_2d[None, :, :], axis=-1).argmin(axis=1)\n"
        "accuracy_2d = float(np.mean(predicted_2d == y_test))",
        # The right predictions, but the error rate stored as the accuracy.
        "means_2d = (flat_means - pca.mean_) @ pca.components_[:2].T\n"
        "test_2d = (flat_test - pca.mean_) @ pca.components_[:2].T\n"
        "predicted_2d = np.linalg.norm(test_2d[:, None, :] - means_2d[None, :, :], axis=-1).argmin(axis=1)\n"
        "accuracy_2d = float(np.mean(predicted_2d != y_test))",
    ],
    # Chapter 3
    "Exercise 3.1": [
        # The darkest pixels left on the 0-255 scale while the statistics are on the 0-1 scale.
        "pixel_mean = (x_train / 255).mean(axis=0)\npixel_std = (x_train / 255).std(axis=0)\n"
        "inked = pixel_std > 0\n"
        "largest_per_pixel = float(((x_train.max(axis=0) - pixel_mean)[inked] / pixel_std[inked]).max())",
        # Full ink (1.0) assumed at every position, though some positions never get that dark.
        "pixel_mean = (x_train / 255).mean(axis=0)\npixel_std = (x_train / 255).std(axis=0)\n"
        "inked = pixel_std > 0\n"
        "largest_per_pixel = float(((1 - pixel_mean)[inked] / pixel_std[inked]).max())",
        # Section 2's single standardization instead of the per-pixel one.
        "pixel_mean = (x_train / 255).mean(axis=0)\npixel_std = (x_train / 255).std(axis=0)\n"
        "largest_per_pixel = float((1 - train_mean) / train_std)",
        # Per-pixel standardization tried on the first image only, not on the whole training set.
        "pixel_mean = (x_train / 255).mean(axis=0)\npixel_std = (x_train / 255).std(axis=0)\n"
        "inked = pixel_std > 0\n"
        "largest_per_pixel = float(((x_train[0] / 255 - pixel_mean)[inked] / pixel_std[inked]).max())",
    ],
    "Exercise 3.2": [
        # All-zero columns and rows divided by a norm of 0: NaN instead of 0.
        "def l2_normalize(images, axis):\n    images = images.astype(np.float64)\n"
        "    return images / np.sqrt((images**2).sum(axis=axis, keepdims=True))",
        # Squares taken in uint8, which wrap around above 255.
        "def l2_normalize(images, axis):\n    norms = np.sqrt((images**2).sum(axis=axis, keepdims=True))\n"
        "    return images / np.where(norms == 0, 1, norms)",
        # The norm of the whole image, whatever axis says.
        "def l2_normalize(images, axis):\n    images = images.astype(np.float64)\n"
        "    norms = np.sqrt((images**2).sum(axis=(1, 2), keepdims=True))\n"
        "    return images / np.where(norms == 0, 1, norms)",
    ],
    "Exercise 3.3": [
        # The standard deviation forgotten in the scale.
        "scale = 1 / 255\noffset = -train_mean / train_std\n"
        "portable_rescaled = keras.Sequential(\n"
        '    [keras.Input(shape=(28, 28)), layers.Rescaling(scale, offset), models["standardized"]]\n)',
        # The standard deviation forgotten in the offset.
        "scale = 1 / (255 * train_std)\noffset = -train_mean\n"
        "portable_rescaled = keras.Sequential(\n"
        '    [keras.Input(shape=(28, 28)), layers.Rescaling(scale, offset), models["standardized"]]\n)',
    ],
    # Chapter 4
    "Exercise 4.1": [
        # argmax down the columns: one number per class instead of one per image.
        "decoded = one_hot_keras.argmax(axis=0)\nclass_counts = one_hot_keras.sum(axis=0)",
        # Summing each row counts the 1 of every image, not the images of every class.
        "decoded = one_hot_keras.argmax(axis=1)\nclass_counts = one_hot_keras.sum(axis=1)",
    ],
    "Exercise 4.2": [
        # The probability of the predicted digit instead of the true one.
        "my_loss = float(-np.mean(np.log(test_probabilities[:1000].max(axis=1))))",
        # A slice and an array: a 1000 x 1000 block instead of one entry per row.
        "my_loss = float(-np.mean(np.log(test_probabilities[:1000, y_test[:1000]])))",
        # The minus sign forgotten.
        "my_loss = float(np.mean(np.log(test_probabilities[np.arange(1000), y_test[:1000]])))",
    ],
    "Exercise 4.3": [
        # The most confident reading overall, right or wrong.
        "most_confident_mistake = int(np.argmax(confidence))",
        # A position in the list of mistakes, not an index into the test set.
        "most_confident_mistake = int(np.argmax(confidence[predicted != y_test]))",
        # The least confident mistake.
        "wrong = np.flatnonzero(predicted != y_test)\n"
        "most_confident_mistake = int(wrong[np.argmin(confidence[wrong])])",
    ],
    # Chapter 5
    "Exercise 5.1": [
        # Forgets that each kernel spans every input channel.
        "def conv2d_params(kernel_size, in_channels, filters, bias=True):\n"
        "    return kernel_size * kernel_size * filters + (filters if bias else 0)\n"
        "reference_conv_params = conv2d_params(3, 32, 64)",
        # Always counts the biases, whatever bias says.
        "def conv2d_params(kernel_size, in_channels, filters, bias=True):\n"
        "    return kernel_size * kernel_size * in_channels * filters + filters\n"
        "reference_conv_params = conv2d_params(3, 32, 64)",
        # A kernel of kernel_size weights, not kernel_size x kernel_size.
        "def conv2d_params(kernel_size, in_channels, filters, bias=True):\n"
        "    return kernel_size * in_channels * filters + (filters if bias else 0)\n"
        "reference_conv_params = conv2d_params(3, 32, 64)",
    ],
    "Exercise 5.2": [
        # Precision: the share of the images read as d that are d.
        "recall = np.array([np.mean(y_test[cnn_pred == d] == d) for d in range(10)])\n"
        "hardest_digit = int(np.argmin(recall))",
        # The right recalls, but the easiest digit.
        "recall = np.array([np.mean(cnn_pred[y_test == d] == d) for d in range(10)])\n"
        "hardest_digit = int(np.argmax(recall))",
        # The error rate of every digit instead of its recall.
        "recall = np.array([np.mean(cnn_pred[y_test == d] != d) for d in range(10)])\n"
        "hardest_digit = int(np.argmax(recall))",
        # Counts of correct readings, not shares.
        "recall = np.array([np.sum(cnn_pred[y_test == d] == d) for d in range(10)])\n"
        "hardest_digit = int(np.argmin(recall))",
    ],
    # Chapter 6
    "Exercise 6.1": [
        # Epochs counted from 0, as Python counts list positions.
        "def early_stopping_outcome(val_loss, patience):\n"
        "    lowest, restored = np.inf, 0\n"
        "    for epoch, loss in enumerate(val_loss):\n"
        "        if loss < lowest:\n"
        "            lowest, restored = loss, epoch\n"
        "        elif epoch - restored >= patience:\n"
        "            return epoch, restored\n"
        "    return len(val_loss) - 1, restored\n"
        'stopped_at, restored_epoch = early_stopping_outcome(histories["dropout"]["val_loss"], 3)\n'
        'val_acc_restored = histories["dropout"]["val_accuracy"][restored_epoch]',
        # Right epochs, but the accuracy of the last epoch trained: as if the weights were not restored.
        "def early_stopping_outcome(val_loss, patience):\n"
        "    lowest, restored = np.inf, 0\n"
        "    for epoch, loss in enumerate(val_loss, start=1):\n"
        "        if loss < lowest:\n"
        "            lowest, restored = loss, epoch\n"
        "        elif epoch - restored >= patience:\n"
        "            return epoch, restored\n"
        "    return len(val_loss), restored\n"
        'stopped_at, restored_epoch = early_stopping_outcome(histories["dropout"]["val_loss"], 3)\n'
        'val_acc_restored = histories["dropout"]["val_accuracy"][stopped_at - 1]',
        # One epoch of patience too many: waits for one more epoch without improvement.
        "def early_stopping_outcome(val_loss, patience):\n"
        "    lowest, restored = np.inf, 0\n"
        "    for epoch, loss in enumerate(val_loss, start=1):\n"
        "        if loss < lowest:\n"
        "            lowest, restored = loss, epoch\n"
        "        elif epoch - restored > patience:\n"
        "            return epoch, restored\n"
        "    return len(val_loss), restored\n"
        'stopped_at, restored_epoch = early_stopping_outcome(histories["dropout"]["val_loss"], 3)\n'
        'val_acc_restored = histories["dropout"]["val_accuracy"][restored_epoch - 1]',
        # The lowest loss of all the epochs, and a stop `patience` epochs after it: ignores an earlier stop.
        "def early_stopping_outcome(val_loss, patience):\n"
        "    restored = int(np.argmin(val_loss)) + 1\n"
        "    return min(restored + patience, len(val_loss)), restored\n"
        'stopped_at, restored_epoch = early_stopping_outcome(histories["dropout"]["val_loss"], 3)\n'
        'val_acc_restored = histories["dropout"]["val_accuracy"][restored_epoch - 1]',
        # A loss equal to the lowest counted as an improvement (<= instead of <).
        "def early_stopping_outcome(val_loss, patience):\n"
        "    lowest, restored = np.inf, 0\n"
        "    for epoch, loss in enumerate(val_loss, start=1):\n"
        "        if loss <= lowest:\n"
        "            lowest, restored = loss, epoch\n"
        "        elif epoch - restored >= patience:\n"
        "            return epoch, restored\n"
        "    return len(val_loss), restored\n"
        'stopped_at, restored_epoch = early_stopping_outcome(histories["dropout"]["val_loss"], 3)\n'
        'val_acc_restored = histories["dropout"]["val_accuracy"][restored_epoch - 1]',
    ],
    "Exercise 6.2": [
        # Flipped upside down (the height axis) instead of left-right.
        "mirrored = augmented_model(x_test[:, ::-1], training=False)\n"
        "flipped_correct = keras.ops.convert_to_numpy(mirrored).argmax(axis=1) == y_test\n"
        "flipped_accuracy = pd.Series([flipped_correct[y_test == d].mean() for d in range(10)],\n"
        "                             index=pd.RangeIndex(10, name='digit'))\n"
        "flipped_overall = float(flipped_correct.mean())",
        # Right per-digit accuracies, but the overall figure as the plain mean of the ten digits.
        "mirrored = augmented_model(x_test[:, :, ::-1], training=False)\n"
        "flipped_correct = keras.ops.convert_to_numpy(mirrored).argmax(axis=1) == y_test\n"
        "flipped_accuracy = pd.Series([flipped_correct[y_test == d].mean() for d in range(10)],\n"
        "                             index=pd.RangeIndex(10, name='digit'))\n"
        "flipped_overall = float(flipped_accuracy.mean())",
        # Forgot to flip: the accuracy of the unmirrored test digits.
        "flipped_correct = keras.ops.convert_to_numpy(augmented_model(x_test)).argmax(axis=1) == y_test\n"
        "flipped_accuracy = pd.Series([flipped_correct[y_test == d].mean() for d in range(10)],\n"
        "                             index=pd.RangeIndex(10, name='digit'))\n"
        "flipped_overall = float(flipped_correct.mean())",
        # Any ten values in [0, 1] and an overall accuracy of 0.
        "flipped_accuracy = pd.Series(np.linspace(0, 1, 10), index=pd.RangeIndex(10, name='digit'))\n"
        "flipped_overall = 0.0",
    ],
    "Exercise 6.3": [
        # Degrees to radians, as for np.sin, instead of a fraction of a turn.
        "def rotation_factor(degrees):\n"
        "    return np.deg2rad(degrees)\n"
        "rotate_15 = layers.RandomRotation(rotation_factor(15), fill_mode='constant')\n"
        "rotated_at_inference = keras.ops.convert_to_numpy(rotate_15(x_train[:8], training=False))",
        # Right factor, but the default fill mode (reflect), which mirrors ink into the corners.
        "def rotation_factor(degrees):\n"
        "    return degrees / 360\n"
        "rotate_15 = layers.RandomRotation(rotation_factor(15))\n"
        "rotated_at_inference = keras.ops.convert_to_numpy(rotate_15(x_train[:8], training=False))",
        # Called with training=True: the images are rotated, which is not what happens at prediction time.
        "def rotation_factor(degrees):\n"
        "    return degrees / 360\n"
        "rotate_15 = layers.RandomRotation(rotation_factor(15), fill_mode='constant')\n"
        "rotated_at_inference = keras.ops.convert_to_numpy(rotate_15(x_train[:8], training=True))",
        # A range from 0 to 15 degrees: turns one way only.
        "def rotation_factor(degrees):\n    return degrees / 360\n"
        'rotate_15 = layers.RandomRotation((0, rotation_factor(15)), fill_mode="constant")\n'
        "rotated_at_inference = keras.ops.convert_to_numpy(rotate_15(x_train[:8], training=False))",
        # Filled with white (1.0) instead of zeros: the corners of a turned digit light up.
        "def rotation_factor(degrees):\n    return degrees / 360\n"
        'rotate_15 = layers.RandomRotation(rotation_factor(15), fill_mode="constant", fill_value=1.0)\n'
        "rotated_at_inference = keras.ops.convert_to_numpy(rotate_15(x_train[:8], training=False))",
    ],
    "Exercise 6.4": [
        # Chosen on the test column: the mistake section 3 measures.
        "def choose_on_validation(runs, setting):\n"
        '    scores = runs.groupby(setting)["test acc"]\n'
        "    best = scores.mean().idxmax()\n"
        '    return best, bool(scores.min()[best] > runs.loc[runs[setting] != best, "test acc"].max())\n'
        'same_data = sweep[sweep["training images"] == 1000]\n'
        'with_test = same_data.assign(**{"test acc": same_data["validation acc"]})  # the sweep has no test column\n'
        'chosen_width, width_resolved = choose_on_validation(with_test, "units")',
        # The setting of the single best run, not the best mean over the seeds.
        "def choose_on_validation(runs, setting):\n"
        '    best = runs.loc[runs["validation acc"].idxmax(), setting]\n'
        '    scores = runs.groupby(setting)["validation acc"]\n'
        '    return best, bool(scores.min()[best] > runs.loc[runs[setting] != best, "validation acc"].max())\n'
        'same_data = sweep[sweep["training images"] == 1000]\n'
        'chosen_width, width_resolved = choose_on_validation(same_data, "units")',
        # The winner compared with the runner-up only, not with every other setting.
        "def choose_on_validation(runs, setting):\n"
        '    scores = runs.groupby(setting)["validation acc"]\n'
        "    order = scores.mean().sort_values(ascending=False).index\n"
        "    best, runner_up = order[0], order[1]\n"
        "    return best, bool(scores.min()[best] > scores.max()[runner_up])\n"
        'same_data = sweep[sweep["training images"] == 1000]\n'
        'chosen_width, width_resolved = choose_on_validation(same_data, "units")',
        # A winner is always called resolved.
        "def choose_on_validation(runs, setting):\n"
        '    return runs.groupby(setting)["validation acc"].mean().idxmax(), True\n'
        'same_data = sweep[sweep["training images"] == 1000]\n'
        'chosen_width, width_resolved = choose_on_validation(same_data, "units")',
        # Every row of the sweep, not only those trained on 1,000 images.
        "def choose_on_validation(runs, setting):\n"
        '    scores = runs.groupby(setting)["validation acc"]\n'
        "    best = scores.mean().idxmax()\n"
        '    return best, bool(scores.min()[best] > runs.loc[runs[setting] != best, "validation acc"].max())\n'
        "same_data = sweep\n"
        'chosen_width, width_resolved = choose_on_validation(same_data, "units")',
    ],
    # Chapter 7
    "Exercise 7.1": [
        # Saves straight to the final name: an interrupted save leaves a broken file there.
        "def save_atomically(model, path):\n    model.save(path)\n",
        # Copies instead of moving: the temporary file stays behind.
        "import shutil\n\n"
        "def save_atomically(model, path):\n"
        "    path = Path(path)\n"
        "    partial = path.with_name('partial_' + path.name)\n"
        "    model.save(partial)\n"
        "    shutil.copyfile(partial, path)\n",
        # Restores a backup when the save fails: a killed kernel would still leave half a file at path.
        "import shutil\n\n"
        "def save_atomically(model, path):\n"
        "    path = Path(path)\n"
        "    backup = path.with_name(path.stem + '.backup.keras')\n"
        "    if path.exists():\n"
        "        shutil.copyfile(path, backup)\n"
        "    try:\n"
        "        model.save(path)\n"
        "    except Exception:\n"
        "        os.replace(backup, path)\n"
        "        raise\n"
        "    if backup.exists():\n"
        "        os.remove(backup)\n",
        # A temporary suffix that Keras refuses (.tmp), so the save itself fails.
        "def save_atomically(model, path):\n"
        "    path = Path(path)\n"
        "    partial = path.with_name(path.name + '.tmp')\n"
        "    model.save(partial)\n"
        "    os.replace(partial, path)\n",
    ],
    "Exercise 7.2": [
        # Forgets prepare_digit: both accuracies come from the original images, no reading changes.
        "original_readings = model.predict(x_test[:500], verbose=0).argmax(axis=1)\n"
        "reprepared_readings = model.predict(x_test[:500], verbose=0).argmax(axis=1)\n"
        "reprepared_accuracy = float(np.mean(reprepared_readings == y_test[:500]))\n"
        "original_accuracy = float(np.mean(original_readings == y_test[:500]))\n"
        "changed_readings = int(np.sum(reprepared_readings != original_readings))\n",
        # Percentages instead of fractions.
        "reprepared = np.stack([prepare_digit(image) for image in x_test[:500, :, :, 0]])\n"
        "reprepared_readings = model.predict(reprepared[..., np.newaxis], verbose=0).argmax(axis=1)\n"
        "original_readings = model.predict(x_test[:500], verbose=0).argmax(axis=1)\n"
        "reprepared_accuracy = 100 * float(np.mean(reprepared_readings == y_test[:500]))\n"
        "original_accuracy = 100 * float(np.mean(original_readings == y_test[:500]))\n"
        "changed_readings = int(np.sum(reprepared_readings != original_readings))\n",
        # The share of changed readings (np.mean) instead of their number.
        "reprepared = np.stack([prepare_digit(image) for image in x_test[:500, :, :, 0]])\n"
        "reprepared_readings = model.predict(reprepared[..., np.newaxis], verbose=0).argmax(axis=1)\n"
        "original_readings = model.predict(x_test[:500], verbose=0).argmax(axis=1)\n"
        "reprepared_accuracy = float(np.mean(reprepared_readings == y_test[:500]))\n"
        "original_accuracy = float(np.mean(original_readings == y_test[:500]))\n"
        "changed_readings = float(np.mean(reprepared_readings != original_readings))\n",
        # The ten probabilities per image kept instead of the digit read (no argmax) in reprepared_readings.
        "reprepared = np.stack([prepare_digit(image) for image in x_test[:500, :, :, 0]])\n"
        "reprepared_readings = model.predict(reprepared[..., np.newaxis], verbose=0)\n"
        "original_readings = model.predict(x_test[:500], verbose=0).argmax(axis=1)\n"
        "reprepared_accuracy = float(np.mean(reprepared_readings.argmax(axis=1) == y_test[:500]))\n"
        "original_accuracy = float(np.mean(original_readings == y_test[:500]))\n"
        "changed_readings = int(np.sum(reprepared_readings.argmax(axis=1) != original_readings))\n",
        # The widget's model reads the prepared digits, the chapter's model the originals.
        "reprepared = np.stack([prepare_digit(image) for image in x_test[:500, :, :, 0]])\n"
        "reprepared_readings = widget_model.predict(reprepared[..., np.newaxis], verbose=0).argmax(axis=1)\n"
        "original_readings = model.predict(x_test[:500], verbose=0).argmax(axis=1)\n"
        "reprepared_accuracy = float(np.mean(reprepared_readings == y_test[:500]))\n"
        "original_accuracy = float(np.mean(original_readings == y_test[:500]))\n"
        "changed_readings = int(np.sum(reprepared_readings != original_readings))\n",
    ],
    "Exercise 7.3": [
        # Inverts the prepared digit instead of the picture.
        "pen = drawings['0_blue_ballpoint.png']\n"
        "chalk_version = 1 - prepare_digit(pen)\n"
        "inversion_difference = float(np.abs(prepare_digit(pen) - (1 - chalk_version)).max())\n",
        # Copies the picture without inverting it.
        "pen = drawings['0_blue_ballpoint.png']\n"
        "chalk_version = pen.copy()\n"
        "inversion_difference = float(np.abs(prepare_digit(chalk_version) - prepare_digit(pen)).max())\n",
        # Compares the pictures themselves, not the prepared digits.
        "pen = drawings['0_blue_ballpoint.png']\n"
        "chalk_version = ImageOps.invert(pen)\n"
        "inversion_difference = float(np.abs(np.asarray(chalk_version, float) - np.asarray(pen, float)).max()) / 255\n",
    ],
    # Chapter 8
    "Exercise 8.1": [
        # Caches after shuffling: the first epoch's order is stored and replayed in every epoch.
        "def training_pipeline(images, labels, batch_size):\n"
        "    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(len(images)).cache()\n"
        "    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)\n",
        # A shuffle buffer of 1,000 typed in: smaller than the set, so the first batches mix only its start.
        "def training_pipeline(images, labels, batch_size):\n"
        "    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).cache().shuffle(1000)\n"
        "    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)\n",
        # No cache: every epoch converts the arrays again.
        "def training_pipeline(images, labels, batch_size):\n"
        "    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(len(images))\n"
        "    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)\n",
        # repeat(), as in section 6's worker: an epoch never ends (the check must fail, not hang).
        "def training_pipeline(images, labels, batch_size):\n"
        "    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).cache().shuffle(len(images)).repeat()\n"
        "    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)\n",
        # Shuffles the batches, not the examples: each batch is the same run of neighbours every epoch.
        "def training_pipeline(images, labels, batch_size):\n"
        "    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).cache().batch(batch_size)\n"
        "    return dataset.shuffle(len(images)).prefetch(tf.data.AUTOTUNE)\n",
        # Forgets prefetch.
        "def training_pipeline(images, labels, batch_size):\n"
        "    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).cache().shuffle(len(images))\n"
        "    return dataset.batch(batch_size)\n",
    ],
    "Exercise 8.2": [
        # Checks only the first weight.
        "def replicas_agree(model, strategy):\n"
        "    copies = [c.numpy() for c in strategy.experimental_local_results(model.trainable_variables[0].value)]\n"
        "    return all(np.array_equal(c, copies[0]) for c in copies)\n",
        # Keeps only the last weight's verdict: the loop overwrites it for every weight.
        "def replicas_agree(model, strategy):\n"
        "    for weight in model.trainable_variables:\n"
        "        copies = [c.numpy() for c in strategy.experimental_local_results(weight.value)]\n"
        "        agree = all(np.array_equal(c, copies[0]) for c in copies)\n"
        "    return agree\n",
        # Compares with a tolerance: a copy that is off by a millionth passes.
        "def replicas_agree(model, strategy):\n"
        "    return all(\n"
        "        all(np.allclose(c.numpy(), strategy.experimental_local_results(w.value)[0].numpy())\n"
        "            for c in strategy.experimental_local_results(w.value))\n"
        "        for w in model.trainable_variables\n"
        "    )\n",
        # Compares the model's weights with themselves (get_weights gives one copy per weight).
        "def replicas_agree(model, strategy):\n    return all(np.array_equal(w, w) for w in model.get_weights())\n",
    ],
}


#: Plausible wrong answers that pass the self-check, and that only the hidden tests of a graded exercise
#: reject (nbgrader's grade cells: the self-check cell with its `### BEGIN HIDDEN TESTS` part). Each
#: must set every name of the exercise. tests/test_grading.py grades a submission made of them, with a
#: student id: the self-check prints PASS, and the exercise scores 0.
PASS_THE_SELF_CHECK_BUT_NOT_THE_HIDDEN_TESTS: dict[str, list[str]] = {
    "Exercise 1.1": [
        # Compares neighbouring blocks only, not every pair (the small arrays of the self-check agree).
        "def largest_block_gap(labels):\n"
        "    shares = np.stack([100 * np.bincount(b, minlength=10) / len(b) for b in labels.reshape(6, -1)])\n"
        "    return float(np.abs(np.diff(shares, axis=0)).max())\n"
        "shuffle_rng = np.random.default_rng(student_seed(0))\n"
        "shuffled_gaps = np.array([largest_block_gap(shuffle_rng.permutation(y_train)) for _ in range(100)])",
        # The right function, but the book's shuffles (seed 0), not the student's own.
        "def largest_block_gap(labels):\n"
        "    shares = np.stack([100 * np.bincount(b, minlength=10) / len(b) for b in labels.reshape(6, -1)])\n"
        "    return float((shares.max(axis=0) - shares.min(axis=0)).max())\n"
        "shuffle_rng = np.random.default_rng(0)\n"
        "shuffled_gaps = np.array([largest_block_gap(shuffle_rng.permutation(y_train)) for _ in range(100)])",
    ],
    "Exercise 1.2": [
        # The number of labels typed in from the test file's header: right for that file only.
        "def read_label_file(raw):\n"
        '    header = np.frombuffer(raw, dtype=">u4", count=2)\n'
        "    return header, np.frombuffer(raw, dtype=np.uint8, offset=8, count=10000)\n"
        'test_label_header, test_labels_from_idx = read_label_file(idx_file_bytes("t10k-labels-idx1-ubyte"))',
        # The header typed in instead of read.
        "def read_label_file(raw):\n"
        "    return np.array([2049, 10000]), np.frombuffer(raw, dtype=np.uint8, offset=8)\n"
        'test_label_header, test_labels_from_idx = read_label_file(idx_file_bytes("t10k-labels-idx1-ubyte"))',
    ],
    # Chapter 3
    "Exercise 3.1": [
        # The largest value over the first 100 images only (to spare memory): the self-check cannot tell.
        "pixel_mean = (x_train / 255).mean(axis=0)\npixel_std = (x_train / 255).std(axis=0)\n"
        "inked = pixel_std > 0\n"
        "largest_per_pixel = float(((x_train[:100] / 255 - pixel_mean)[:, inked] / pixel_std[inked]).max())",
    ],
    "Exercise 3.2": [
        # Norms broadcast back by hand for (n, 28, 28) arrays, with no keepdims: fails on any other shape.
        "def l2_normalize(images, axis):\n"
        "    images = images.astype(np.float64)\n"
        "    norms = np.sqrt((images**2).sum(axis=axis))\n"
        "    norms[norms == 0] = 1\n"
        "    return images / (norms[:, None, :] if axis == 1 else norms[:, :, None])",
    ],
    "Exercise 3.3": [
        # MNIST's well-known rounded statistics typed in instead of train_mean and train_std.
        "scale = 1 / (255 * 0.3081)\noffset = -0.1307 / 0.3081\n"
        "portable_rescaled = keras.Sequential(\n"
        '    [keras.Input(shape=(28, 28)), layers.Rescaling(scale, offset), models["standardized"]]\n)',
    ],
    # Chapter 6
    "Exercise 6.4": [
        # The verdict compares the winner's mean, not its worst seed, with the others' best run.
        "def choose_on_validation(runs, setting):\n"
        '    means = runs.groupby(setting)["validation acc"].mean()\n'
        "    best = means.idxmax()\n"
        '    return best, bool(means[best] > runs.loc[runs[setting] != best, "validation acc"].max())\n'
        'same_data = sweep[sweep["training images"] == 1000]\n'
        'chosen_width, width_resolved = choose_on_validation(same_data, "units")',
        # "At least" instead of "strictly above": a tie between the winner's worst run and the others' best passes.
        "def choose_on_validation(runs, setting):\n"
        '    scores = runs.groupby(setting)["validation acc"]\n'
        "    best = scores.mean().idxmax()\n"
        '    return best, bool(scores.min()[best] >= runs.loc[runs[setting] != best, "validation acc"].max())\n'
        'same_data = sweep[sweep["training images"] == 1000]\n'
        'chosen_width, width_resolved = choose_on_validation(same_data, "units")',
        # The column name typed in: right for the sweep's "units" only.
        "def choose_on_validation(runs, setting):\n"
        '    scores = runs.groupby("units")["validation acc"]\n'
        "    best = scores.mean().idxmax()\n"
        '    return best, bool(scores.min()[best] > runs.loc[runs["units"] != best, "validation acc"].max())\n'
        'same_data = sweep[sweep["training images"] == 1000]\n'
        'chosen_width, width_resolved = choose_on_validation(same_data, "units")',
    ],
    # Chapter 7
    "Exercise 7.1": [
        # Works for a pathlib.Path only: a path given as a str has no with_name.
        "def save_atomically(model, path):\n"
        '    partial = path.with_name(path.stem + ".partial.keras")\n'
        "    model.save(partial)\n"
        "    os.replace(partial, path)",
    ],
    # Chapter 8
    "Exercise 8.1": [
        # A shuffle buffer of 10,000 examples: a full shuffle of the self-check's 1,234, not of a larger set.
        "def training_pipeline(images, labels, batch_size):\n"
        "    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).cache()\n"
        "    return dataset.shuffle(10_000).batch(batch_size).prefetch(tf.data.AUTOTUNE)",
    ],
    "Exercise 8.2": [
        # Only the first and the last weight compared (where the self-check nudges them).
        "def replicas_agree(model, strategy):\n"
        "    for weight in (model.trainable_variables[0], model.trainable_variables[-1]):\n"
        "        copies = [c.numpy() for c in strategy.experimental_local_results(weight.value)]\n"
        "        if not all(np.array_equal(c, copies[0]) for c in copies[1:]):\n"
        "            return False\n"
        "    return True",
    ],
}
