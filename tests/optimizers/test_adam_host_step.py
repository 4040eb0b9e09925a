"""Adam computes Keras' bias-corrected rate on the host while it alone writes `iterations`,
and reads `iterations` back when something else wrote it (as a restored checkpoint does)."""

import torch

from lamina import optimizers


def test_outside_write_of_iterations_is_honoured():
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))
    opt = optimizers.Adam(learning_rate=0.1)
    opt.build([w])
    for _ in range(3):
        w.grad = torch.tensor([0.3, -0.1, 0.2])
        opt.step()
    with torch.no_grad():  # reset to a fresh state, from outside the optimizer
        opt.iterations.copy_(torch.tensor(0))
        for slot in opt.variables[2:]:
            slot.zero_()
    before = w.detach().clone()
    w.grad = torch.tensor([0.3, -0.1, 0.2])
    opt.step()
    # Step 1 of Adam moves each weight by learning_rate * sign(g) (up to epsilon); a stale
    # host count (step 4) would move it by about 0.058 instead.
    torch.testing.assert_close(before - w.detach(), torch.tensor([0.1, -0.1, 0.1]),
                               rtol=1e-4, atol=1e-6)
    assert int(opt.iterations) == 1
