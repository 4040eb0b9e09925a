"""The wrapper tests train many tiny models: one torch thread each, since with two, tiny
operations spend most of their time synchronising threads (10x slower on a busy machine)."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
