"""Golden values for `lamina.preprocessing` from Keras 3's copy of the Keras 2 preprocessing
APIs (`keras.src.legacy.preprocessing`), which needs scipy for the affine transforms.

Run with real Keras (never under pytest):
    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/preprocessing/golden/make_preprocessing_golden.py
Writes `preprocessing_golden.json` (text and sequence cases) and `preprocessing_golden.npz`
(image arrays) beside this script.
"""

import json
import pathlib

import numpy as np
from keras.src.legacy.preprocessing import image, sequence, text

HERE = pathlib.Path(__file__).parent
TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "Cats and dogs, cats and DOGS.",
         "", "A mat; a hat: a cat?"]
FILL_MODES = ["constant", "nearest", "reflect", "wrap"]
AFFINE_CASES = [  # (name, kwargs of apply_affine_transform)
    ("rot90", {"theta": 90}), ("rot33", {"theta": 33.0}), ("tx2", {"tx": 2}),
    ("ty_frac", {"ty": -1.6}), ("shear", {"shear": 25.0}), ("zoom_in", {"zx": 0.5, "zy": 0.7}),
    ("zoom_out", {"zx": 1.6, "zy": 1.3}),
    ("combo", {"theta": -20.0, "tx": 1.3, "ty": 0.4, "shear": 10.0, "zx": 0.9, "zy": 1.2}),
]


def tokenizer_case(texts, **kwargs):
    tokenizer = text.Tokenizer(**kwargs)
    tokenizer.fit_on_texts(texts)
    probe = texts + ["an unseen cat word"]
    return {
        "kwargs": kwargs, "fit_texts": texts, "word_index": tokenizer.word_index,
        "word_counts": list(tokenizer.word_counts.items()),
        "word_docs": dict(tokenizer.word_docs),
        "index_docs": {str(k): v for k, v in tokenizer.index_docs.items()},
        "sequences": tokenizer.texts_to_sequences(probe),
        "texts": tokenizer.sequences_to_texts(tokenizer.texts_to_sequences(probe)),
        "matrix": {mode: tokenizer.texts_to_matrix(probe, mode=mode).tolist()
                   for mode in ["binary", "count", "tfidf", "freq"]},
        "json": tokenizer.to_json(),
    }


def text_golden():
    fitted = text.Tokenizer(num_words=10)
    fitted.fit_on_sequences([[1, 2, 2, 3], [3, 4], [1]])
    return {
        "texts": TEXTS,
        "tokenizers": [
            tokenizer_case(TEXTS),
            tokenizer_case(TEXTS, num_words=5, oov_token="<oov>"),
            tokenizer_case(TEXTS, lower=False, filters="!?.", split=" "),
            tokenizer_case(TEXTS, char_level=True, num_words=12),
            tokenizer_case([["a", "b", "a"], ["b", "c"]]),
        ],
        "sequences_tfidf": fitted.sequences_to_matrix([[1, 2, 2, 3], [4, 4, 4], [], [9, 12]],
                                                      mode="tfidf").tolist(),
        "word_sequence": text.text_to_word_sequence("Hello, World!\tfoo--bar  BAZ"),
        "word_sequence_custom": text.text_to_word_sequence("a-b_c d", filters="-", lower=False,
                                                           split="_"),
        "hashing_md5": text.hashing_trick("The quick brown fox jumps over the lazy dog", 17,
                                          hash_function="md5"),
    }


def sequence_golden():
    data = np.arange(40).reshape(20, 2)
    targets = np.arange(20) * 10
    cases = []
    for kwargs in [{"length": 3, "batch_size": 4},
                   {"length": 5, "sampling_rate": 2, "stride": 3, "batch_size": 2},
                   {"length": 4, "start_index": 2, "end_index": 15, "reverse": True,
                    "batch_size": 3}]:
        gen = sequence.TimeseriesGenerator(data, targets, **kwargs)
        cases.append({"kwargs": kwargs, "len": len(gen),
                      "batches": [[gen[i][0].tolist(), gen[i][1].tolist()]
                                  for i in range(len(gen))]})
    return {"timeseries": cases,
            "sampling_table": sequence.make_sampling_table(12, sampling_factor=1e-3).tolist()}


def image_golden(arrays):
    rng = np.random.default_rng(0)
    x_last = rng.uniform(0, 255, (7, 9, 3)).astype("float32")
    x_first = rng.uniform(-1, 1, (2, 6, 5)).astype("float32")
    arrays["x_last"], arrays["x_first"] = x_last, x_first
    for name, kwargs in AFFINE_CASES:
        for mode in FILL_MODES:
            for order in (0, 1):
                arrays[f"affine_last_{name}_{mode}_{order}"] = image.apply_affine_transform(
                    x_last, row_axis=0, col_axis=1, channel_axis=2, fill_mode=mode, cval=17.0,
                    order=order, **kwargs)
            arrays[f"affine_first_{name}_{mode}"] = image.apply_affine_transform(
                x_first, row_axis=1, col_axis=2, channel_axis=0, fill_mode=mode, cval=0.25,
                **kwargs)
    configs = {
        "floats": {"rotation_range": 30, "width_shift_range": 0.2, "height_shift_range": 0.1,
                   "shear_range": 12.0, "zoom_range": 0.2, "channel_shift_range": 20.0,
                   "horizontal_flip": True, "vertical_flip": True, "fill_mode": "reflect"},
        "pixels": {"width_shift_range": 3, "height_shift_range": [-2, 1, 4],
                   "zoom_range": [0.8, 1.0], "fill_mode": "wrap", "horizontal_flip": True},
        "constant": {"rotation_range": 45, "fill_mode": "constant", "cval": 5.0,
                     "width_shift_range": 1.5},
        "first": {"rotation_range": 30, "zoom_range": 0.3, "data_format": "channels_first",
                  "vertical_flip": True, "fill_mode": "nearest"},
    }
    params = {}
    for name, config in configs.items():
        generator = image.ImageDataGenerator(**config)
        x = x_first if name == "first" else x_last
        params[name] = {"config": config, "draws": []}
        for seed in (0, 1, 7):
            p = generator.get_random_transform(x.shape, seed=seed)
            params[name]["draws"].append({k: None if v is None else float(v)
                                          for k, v in p.items()})
            arrays[f"random_{name}_{seed}"] = generator.random_transform(x.copy(), seed=seed)
    batch = rng.uniform(0, 255, (6, 5, 4, 3)).astype("float32")
    arrays["fit_x"] = batch
    for name, config in {
            "featurewise": {"featurewise_center": True, "featurewise_std_normalization": True,
                            "rescale": 1 / 255},
            "zca": {"zca_whitening": True, "zca_epsilon": 1e-2, "featurewise_center": True},
            "samplewise": {"samplewise_center": True, "samplewise_std_normalization": True},
            "augmented": {"featurewise_center": True, "featurewise_std_normalization": True,
                          "rotation_range": 40, "horizontal_flip": True}}.items():
        generator = image.ImageDataGenerator(**config)
        generator.fit(batch, augment=name == "augmented", rounds=2, seed=3)
        params[f"fit_{name}"] = config
        if generator.mean is not None:
            arrays[f"fit_{name}_mean"] = generator.mean
        if generator.std is not None:
            arrays[f"fit_{name}_std"] = generator.std
        arrays[f"fit_{name}_standardized"] = np.stack(
            [generator.standardize(batch[i].copy()) for i in range(len(batch))])
    return params


def main():
    arrays = {}
    golden = {"text": text_golden(), "sequence": sequence_golden(),
              "image": image_golden(arrays)}
    (HERE / "preprocessing_golden.json").write_text(json.dumps(golden, indent=1) + "\n")
    np.savez_compressed(HERE / "preprocessing_golden.npz", **arrays)


if __name__ == "__main__":
    main()
