"""`keras.distribution`: data-parallel training over several processes, on torch.distributed.

Launch the unchanged training script with `torchrun --nproc_per_node=N train.py`: `fit`
forms the process group, wraps the forward pass in DistributedDataParallel, gives each process
its part of the data and logs the same numbers on every process; rank 0 alone prints and
writes files. See `README.md` beside this file for the design and the batch-size rule.
"""

from lamina.distribution.distribution_lib import (
                                                  DataParallel,
                                                  distribution,
                                                  get_device_count,
                                                  initialize,
                                                  list_devices,
                                                  set_distribution,
)

__all__ = ["DataParallel", "distribution", "get_device_count", "initialize", "list_devices",
           "set_distribution"]
