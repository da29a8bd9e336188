"""The DCGAN generator of pytorch/examples (``dcgan/main.py``, ``netG_epoch_N.pth``).

Its ``main`` Sequential has the same layer indices as
:class:`models.nets.dcgan.Generator`: a transposed convolution, batch norm
and ReLU per stage, then a transposed convolution to the image and a tanh.
Every hyper-parameter can be read off the weights.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from models.contract import ModelInfo
from models.errors import CheckpointError
from models.families.gan import GANModel
from models.nets.dcgan import Generator
from models.readers import image_words, load_exactly
from models.readers.limits import check_image_side, check_latent

NAME = "pytorch/examples DCGAN generator (main.0.weight, main.1.weight, … main.N.weight)"
FORMAT = "pytorch/examples DCGAN generator"
_WEIGHT = re.compile(r"main\.(\d+)\.weight")


def matches(state: dict[str, torch.Tensor]) -> bool:
    """A transposed convolution at main.0 followed by batch norm over its outputs.

    ConvTranspose2d weights are (in, out, k, k), so the batch norm's length
    equals dimension 1; the discriminator has no weights at main.1 at all.
    """
    first, norm = state.get("main.0.weight"), state.get("main.1.weight")
    if first is None or norm is None or first.dim() != 4 or norm.dim() != 1:
        return False
    return all(k.startswith("main.") for k in state) and norm.shape[0] == first.shape[1]


def hint(state: dict[str, torch.Tensor]) -> str:
    """A pointer to the generator when ``state`` is the matching discriminator."""
    first = state.get("main.0.weight")
    if first is not None and first.dim() == 4 and "main.1.weight" not in state and "main.2.weight" in state:
        return "This looks like the DCGAN discriminator (netD); open the generator file (netG_epoch_N.pth) instead"
    return ""


def read(state: dict[str, torch.Tensor], path: Path):
    """Build the generator the weights describe and wrap it as a GANModel."""
    convs = sorted(
        (int(m.group(1)), t) for k, t in state.items() if (m := _WEIGHT.fullmatch(k)) and t.dim() == 4
    )
    if len(convs) < 2:
        raise CheckpointError(f"{path}: a DCGAN generator needs at least two transposed convolutions, found {len(convs)}")
    nz = int(convs[0][1].shape[0])
    ngf, channels = (int(s) for s in convs[-1][1].shape[:2])
    # Each stage after the first 4×4 one doubles the side.
    image_size = 4 * 2 ** (len(convs) - 1)
    check_image_side(path, image_size)
    check_latent(path, (nz,))
    generator = Generator(nz=nz, ngf=ngf, channels=channels, image_size=image_size)
    load_exactly(generator, state, path)
    detected = f"{FORMAT} (nz={nz}, ngf={ngf}, {image_words(image_size, channels)})"
    info = ModelInfo(
        name=path.stem, family="gan", image_size=image_size, channels=channels, latent_shape=(nz,),
        provenance={"format": FORMAT, "nz": nz, "ngf": ngf, "detected": detected},
        path=str(path),
    )
    return GANModel(generator, info)
