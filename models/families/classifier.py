"""The attribute classifier: labels samples of models without an encoder, and
supplies the features on which quality is measured."""

from __future__ import annotations

import numpy as np
import torch

from models.checkpoint import load_state
from models.imaging import to_tensor
from models.nets import build_net


class AttributeClassifier:
    """A small CNN predicting binary attributes (sigmoid) or one label (softmax)."""

    def __init__(self, net, names: tuple[str, ...], multilabel: bool, config: dict, path: str = ""):
        self.net = net.eval()
        self.names, self.multilabel = names, multilabel
        self.config, self.path = config, path
        self.image_size, self.channels = config["image_size"], config["channels"]
        self.device = torch.device("cpu")

    @classmethod
    def from_checkpoint(cls, config, tensors, path):
        net = build_net(config["architecture"])
        load_state(net, tensors, "classifier.", path)
        multilabel = bool(config.get("attributes"))
        names = tuple(config.get("attributes") or config.get("labels") or ())
        if len(names) != net.head.out_features:
            raise ValueError(f"{len(names)} names for {net.head.out_features} outputs")
        return cls(net, names, multilabel, config, str(path))

    def to(self, device) -> "AttributeClassifier":
        self.device = torch.device(device)
        self.net.to(self.device)
        return self

    def _run(self, images: np.ndarray, batch_size: int, features: bool) -> np.ndarray:
        images = np.asarray(images)
        if images.shape[1:] != (self.image_size, self.image_size, self.channels):
            raise ValueError(
                f"classifier {self.path}: takes {self.image_size}×{self.image_size}×{self.channels} images, got {images.shape[1:]}"
            )
        outs = []
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                x = to_tensor(images[start:start + batch_size], self.device)
                if features:
                    outs.append(self.net.features(x).float().cpu().numpy())
                else:
                    logits = self.net(x)
                    p = torch.sigmoid(logits) if self.multilabel else torch.softmax(logits, 1)
                    outs.append(p.float().cpu().numpy())
        return np.concatenate(outs) if outs else np.zeros((0, len(self.names)), np.float32)

    def predict(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Probabilities (n, len(names)): per attribute, or a distribution over labels."""
        return self._run(images, batch_size, features=False)

    def features(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """The pooled penultimate features (n, d) used for Fréchet distances."""
        return self._run(images, batch_size, features=True)
