"""Run by tests/lalm/test_desta_train.py under torchrun: train each TrainConfig in a JSON list."""

from __future__ import annotations

import json
import sys

import torch

from akb.lalm.config import TrainConfig
from akb.lalm.train import train

if __name__ == "__main__":
    torch.set_num_threads(1)
    for raw in json.loads(open(sys.argv[1], encoding="utf-8").read()):
        train(TrainConfig.model_validate(raw))
