"""Immutable requests the UI sends to the inference worker, and responses.

Requests are frozen and their arrays read-only, so nothing the UI does after
sending one can change what the worker computes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_ids = itertools.count(1)


def next_id() -> int:
    """A process-wide increasing request id (newer requests have larger ids)."""
    return next(_ids)


def frozen_array(a: np.ndarray) -> np.ndarray:
    a = np.array(a, np.float32, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Request:
    """Base request. ``kind`` groups requests that supersede each other."""

    id: int = field(default_factory=next_id, kw_only=True)

    kind = "request"
    interactive = False  # interactive requests replace pending ones of their kind
    newest_wins = True  # only the newest request of a kind is answered to the UI


@dataclass(frozen=True)
class LoadModel(Request):
    path: str
    device: str = "auto"
    hints: tuple = ()  # (name, value) pairs for files that cannot describe themselves
    kind = "load"


@dataclass(frozen=True)
class SetDevice(Request):
    device: str
    kind = "device"


@dataclass(frozen=True)
class BuildBank(Request):
    n: int = 2000
    seed: int = 0
    kind = "bank"


@dataclass(frozen=True)
class GenerateSamples(Request):
    """``n`` prior samples of ``seed`` from sample index ``start`` on, decoded and labelled
    (answered with a :class:`~explorer.core.latent_bank.LatentBank` of just them)."""

    n: int
    seed: int = 0
    start: int = 0
    where: str = ""  # keep only samples whose query holds with confidence ≥ min_confidence
    min_confidence: float = 0.9
    direction: np.ndarray | None = None  # each sample moved by strength × this vector before decoding
    strength: float = 0.0
    kind = "generate"

    def __post_init__(self):
        if self.direction is not None:
            object.__setattr__(self, "direction", frozen_array(self.direction))
    newest_wins = False


@dataclass(frozen=True)
class ExportFolder(Request):
    """Decode ``items`` (:class:`~explorer.core.export_folder.ExportItem`) with the open model
    the reproducible way and write them as an export folder at ``out``."""

    out: str
    items: tuple
    checkpoint: str
    sha256: str
    scale: int = 1
    smooth: bool = False
    split_by: str = "tag"
    kind = "export"
    newest_wins = False


@dataclass(frozen=True)
class RenderAnimation(Request):
    """Decode a walk through ``waypoints`` for keeps and write it as an animation at ``out``
    (``walk``: a :class:`~explorer.core.walk_pacing.WalkSpec`, ``output``: an
    :class:`~explorer.core.animation_writer.OutputSpec`; see :mod:`explorer.inference.animation_job`)."""

    out: str
    waypoints: np.ndarray
    walk: Any
    output: Any
    title: str = ""
    caption: bool = False
    kind = "animation"
    newest_wins = False

    def __post_init__(self):
        object.__setattr__(self, "waypoints", frozen_array(self.waypoints))


@dataclass(frozen=True)
class EvaluateModel(Request):
    """Measure ``n`` samples of the open model (latents × ``truncate`` when given) against
    held-out real images; answered with the report of ``models.fidelity_report.evaluate_model``."""

    n: int = 1000
    truncate: float | None = None
    seed: int = 0
    features: str = "classifier"
    kind = "evaluate"


@dataclass(frozen=True)
class ClassifierFeatures(Request):
    """The bundled classifier's penultimate features of the images ``latents`` decode to
    (a space where distance means visual difference: diversity, duplicates)."""

    latents: np.ndarray
    kind = "features"
    newest_wins = False

    def __post_init__(self):
        object.__setattr__(self, "latents", frozen_array(self.latents))


@dataclass(frozen=True)
class ReferenceEmbedding(Request):
    """``n`` held-out real images placed beside the bank for the coverage overlay: encoded
    when the model encodes fast, else laid out with the bank's images (``bank_images``,
    or what ``bank_latents`` decode to) in one feature space (see
    :mod:`explorer.inference.coverage_job`)."""

    n: int = 500
    bank_size: int = 0  # the bank's length (its images or latents are left out past a size)
    bank_latents: np.ndarray | None = None
    bank_images: np.ndarray | None = None
    kind = "coverage"

    def __post_init__(self):
        if self.bank_latents is not None:
            object.__setattr__(self, "bank_latents", frozen_array(self.bank_latents))
        if self.bank_images is not None:
            images = np.array(self.bank_images, np.uint8, copy=True)
            images.setflags(write=False)
            object.__setattr__(self, "bank_images", images)


@dataclass(frozen=True)
class CompareCheckpoints(Request):
    """Decode prior samples ``first … first + count − 1`` of ``seed`` with each checkpoint of
    ``entries`` (``(path, truncate)`` pairs, loaded beside the open model, never replacing
    it), with quick figures on ``figures_n`` samples each (0: none)."""

    entries: tuple
    seed: int = 0
    first: int = 0
    count: int = 8
    figures_n: int = 0
    kind = "compare"


@dataclass(frozen=True)
class BankResult:
    """A :class:`BuildBank` answer: the bank, and its PCA fitted in the worker (a
    ``PCAProjection`` and the bank's 2-D points), so the GUI thread never fits one."""

    bank: Any
    projection: Any = None
    points: np.ndarray | None = None


@dataclass(frozen=True)
class EncodeImages(Request):
    """Encode image files (or folders of them) into the model's latent space."""

    paths: tuple[str, ...]
    kind = "encode"
    newest_wins = False  # every batch of dropped images is wanted


@dataclass(frozen=True)
class Decode(Request):
    """Decode latents; ``purpose`` names the stream (``click``, ``hover``…)."""

    latents: np.ndarray
    purpose: str = "click"
    tag: Any = None

    def __post_init__(self):
        object.__setattr__(self, "latents", frozen_array(self.latents))

    @property
    def kind(self) -> str:  # type: ignore[override]
        return f"decode:{self.purpose}"

    @property
    def interactive(self) -> bool:  # type: ignore[override]
        return self.purpose in INTERACTIVE_PURPOSES

    @property
    def newest_wins(self) -> bool:  # type: ignore[override]
        # A stream of batch decodes (a filmstrip, an export) wants every answer.
        return self.interactive


INTERACTIVE_PURPOSES = {"hover", "slider", "click"}


@dataclass(frozen=True)
class SetPrompt(Request):
    """Give a text-to-image model a new prompt (its bank must then be rebuilt); answered with its recipe."""

    prompt: str
    negative: str = ""
    guidance: float = 7.5
    steps: int | None = None
    kind = "prompt"
    newest_wins = False


@dataclass(frozen=True)
class EmbedPrompts(Request):
    """The text-to-image model's embedding of each of ``texts``: answered with {text: float32 (E,)}."""

    texts: tuple[str, ...]
    kind = "embed-prompts"
    newest_wins = False  # an expression's and a walk's embeddings are both wanted


@dataclass(frozen=True)
class SetPromptEmbedding(Request):
    """Decode with ``embedding`` (prompt arithmetic) instead of the prompt's own; None: the prompt's again."""

    embedding: np.ndarray | None
    label: str = ""
    kind = "prompt-embedding"
    newest_wins = False

    def __post_init__(self):
        if self.embedding is not None:
            object.__setattr__(self, "embedding", frozen_array(self.embedding))


@dataclass(frozen=True)
class PromptWalk(Request):
    """Decode ``latent`` (one x_T) under each of ``embeddings`` (frames, E) in turn, then put back
    ``restore`` (see :mod:`explorer.inference.prompt_job`); answered with uint8 frames."""

    latent: np.ndarray
    embeddings: np.ndarray
    restore: np.ndarray | None = None  # the embedding set before the walk (None: the prompt's own)
    restore_label: str = ""
    kind = "prompt-walk"

    def __post_init__(self):
        object.__setattr__(self, "latent", frozen_array(self.latent))
        object.__setattr__(self, "embeddings", frozen_array(self.embeddings))
        if self.restore is not None:
            object.__setattr__(self, "restore", frozen_array(self.restore))


@dataclass(frozen=True)
class SetTruncation(Request):
    """A StyleGAN2 model's truncation ψ toward its mean W (1.0: none); every later decode uses it."""

    psi: float
    kind = "truncation"
    interactive = True  # a dragged slider: only the last ψ matters


@dataclass(frozen=True)
class SetLatentSpace(Request):
    """A StyleGAN2 model's latent space, ``"z"`` or ``"w"``: its codes (and so its bank) change."""

    space: str
    kind = "latent-space"


@dataclass(frozen=True)
class StyleMix(Request):
    """A StyleGAN2 model's codes ``a`` with the styles of ``b`` in ``layers`` (``"coarse"``,
    ``"middle"``, ``"fine"`` or a (start, stop) range): answered with A, B and the mix decoded."""

    a: np.ndarray
    b: np.ndarray
    layers: Any = "coarse"
    kind = "style-mix"
    interactive = True

    def __post_init__(self):
        object.__setattr__(self, "a", frozen_array(self.a))
        object.__setattr__(self, "b", frozen_array(self.b))


def frozen_codes(a: np.ndarray) -> np.ndarray:
    a = np.array(a, np.int64, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class DecodeCodes(Request):
    """A VQ-VAE's code maps (n, H, W) of codebook indices → {"images": uint8, "latents": the
    maps' code vectors (n, D, H, W), a latent the session can hold}; ``purpose`` names the
    stream (``edit`` replaces pending edits, ``use``, ``swatches``)."""

    codes: np.ndarray
    purpose: str = "edit"

    def __post_init__(self):
        object.__setattr__(self, "codes", frozen_codes(self.codes))

    @property
    def kind(self) -> str:  # type: ignore[override]
        return f"codes:{self.purpose}"

    @property
    def interactive(self) -> bool:  # type: ignore[override]
        return self.purpose == "edit"


@dataclass(frozen=True)
class CodeInfo(Request):
    """A VQ-VAE's code maps of ``latents`` (continuous maps): {"codes" (n, H, W), "usage" (K,)
    over them, "codebook_size", "grid_shape", "images" (their decodes, when ``with_images``)}."""

    latents: np.ndarray
    with_images: bool = False
    purpose: str = "editor"

    def __post_init__(self):
        object.__setattr__(self, "latents", frozen_array(self.latents))

    @property
    def kind(self) -> str:  # type: ignore[override]
        return f"code-info:{self.purpose}"


@dataclass(frozen=True)
class Response:
    """What the worker answers: the request it answers and a payload."""

    request: Request
    payload: Any
    seconds: float = 0.0
