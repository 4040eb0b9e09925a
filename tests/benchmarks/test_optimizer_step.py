"""Smoke tests for `benchmarks/optimizer_step.py`: every runner takes the step it claims to
take (checked against each library's first-step formula), and `main` reports paired ratios."""

import importlib.util
import json
import pathlib
import statistics

import pytest
import torch

_BENCHMARKS = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"
_SPEC = importlib.util.spec_from_file_location("optimizer_step", _BENCHMARKS / "optimizer_step.py")
optimizer_step = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(optimizer_step)

CPU = torch.device("cpu")


def keras_adam(w, g, lr=1e-3, eps=1e-7, weight_decay=0.0):
    """Keras' first Adam(W) step: alpha * m / (sqrt(v) + eps), with m = 0.1 g, v = 0.001 g**2
    and alpha = lr * sqrt(1 - beta_2) / (1 - beta_1), the betas rounded to float32 first."""
    w = w - w * weight_decay * lr
    beta_1, beta_2 = torch.tensor(0.9), torch.tensor(0.999)
    alpha = lr * (1 - beta_2).sqrt() / (1 - beta_1)
    return w - alpha * (0.1 * g) / ((0.001 * g * g).sqrt() + eps)


def torch_adam(w, g, lr=1e-3, eps=1e-8, weight_decay=0.0):
    """torch's first Adam(W) step: lr * m_hat / (sqrt(v_hat) + eps), m_hat = g, v_hat = g**2."""
    w = w * (1 - lr * weight_decay)
    return w - lr * g / (g.abs() + eps)


# family -> runner -> the weights after one step from `w` with gradient `g` (each library's
# defaults: Keras' epsilon 1e-7 and RMSprop rho 0.9, torch's epsilon 1e-8 and alpha 0.99).
FIRST_STEP = {
    "adam": {"lamina": keras_adam, "torch": torch_adam},
    "adamw": {"lamina": lambda w, g: keras_adam(w, g, weight_decay=0.004),
              "torch": lambda w, g: torch_adam(w, g, weight_decay=0.01)},
    "rmsprop": {"lamina": lambda w, g: w - 1e-3 * g / (0.1 * g * g + 1e-7).sqrt(),
                "torch": lambda w, g: w - 1e-2 * g / ((0.01 * g * g).sqrt() + 1e-8)},
    "sgd_momentum": {"lamina": lambda w, g: w - 0.01 * g,
                     "torch": lambda w, g: w - 1e-3 * g},
}


def test_problem_has_the_mnist_mlp_shapes_and_is_seeded():
    weights, grads = optimizer_step.make_problem(optimizer_step.MNIST_MLP_SHAPES, CPU, seed=4)
    assert [tuple(w.shape) for w in weights] == [(784, 1000), (1000,), (1000, 10), (10,)]
    assert [tuple(g.shape) for g in grads] == [tuple(w.shape) for w in weights]
    again, _ = optimizer_step.make_problem(optimizer_step.MNIST_MLP_SHAPES, CPU, seed=4)
    torch.testing.assert_close(weights[0], again[0], rtol=0, atol=0)


@pytest.mark.parametrize("runner", optimizer_step.RUNNERS)
@pytest.mark.parametrize("family", list(optimizer_step.OPTIMIZERS))
def test_each_runner_takes_its_library_s_first_step(family, runner):
    shapes = [(6, 5), (5,)]
    weights, grads = optimizer_step.make_problem(shapes, CPU, seed=1)
    optimizer, params = optimizer_step.make_runner(family, runner, weights, grads)
    optimizer.step()
    formula = FIRST_STEP[family]["lamina" if runner == "lamina" else "torch"]
    for param, w, g in zip(params, weights, grads):
        torch.testing.assert_close(param.detach(), formula(w, g), rtol=1e-6, atol=1e-9)
    assert all(p.grad is not None for p in params)  # the same gradients for every step


def test_main_prints_tables_and_writes_paired_ratios(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(optimizer_step, "MNIST_MLP_SHAPES", [(40, 30), (30,)])  # fast
    output = tmp_path / "result.json"
    returned = optimizer_step.main([
        "--optimizers", "adam", "sgd_momentum", "--steps", "2", "--warmup", "1",
        "--repeats", "3", "--threads", str(torch.get_num_threads()), "--device", "cpu",
        "--output", str(output)])
    written = json.loads(output.read_text())
    assert written == json.loads(json.dumps(returned, default=str))
    assert [entry["family"] for entry in written["families"]] == ["adam", "sgd_momentum"]
    for entry in written["families"]:
        runs = {name: row["runs"] for name, row in entry["runners"].items()}
        assert set(runs) == {"lamina", "torch_default", "torch_fused"}
        for row in entry["runners"].values():
            assert len(row["runs"]) == 3
            assert row["seconds_per_step"] == pytest.approx(statistics.median(row["runs"]))
        for peer in ("torch_default", "torch_fused"):
            paired = [t / mine for mine, t in zip(runs["lamina"], runs[peer])]
            assert entry["ratios"][f"lamina/{peer}"]["value"] == pytest.approx(
                statistics.median(paired))
    printed = capsys.readouterr().out
    assert "adam: 2 steps x 3 repeat(s)" in printed and "lamina/torch_fused" in printed
