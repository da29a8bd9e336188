"""Text-to-image latent diffusion (Stable Diffusion and its kin) as a LatentModel.

The latent is the starting noise x_T of the UNet's latent space, shape
``(latent channels, h/f, w/f)`` for images of ``h×w`` and a VAE that
downsamples by ``f`` (8 for Stable Diffusion). For a fixed prompt, negative
prompt, guidance scale and step count, DDIM with η = 0 makes the same x_T
decode to the same image every time, so x_T is explored like any other
latent: scatter, click, slerp walks.

The conditioning is state of the model, set with :meth:`TextToImageModel.set_prompt`
or, for prompt arithmetic, :meth:`TextToImageModel.set_prompt_embedding`; it is
written into every kept image's recipe through :meth:`TextToImageModel.recipe`.

This module never imports diffusers or transformers: the reader
(:mod:`models.readers.text_to_image_dirs`) hands it loaded modules.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
import torch

from models.contract import LatentModel, ModelInfo, Progress
from models.imaging import to_uint8

FAMILY = "text2image"
DEFAULT_STEPS = 25
DEFAULT_GUIDANCE = 7.5
MAX_GUIDANCE = 100.0
#: Decoded images of up to 64×64 pixels per batch, fewer for larger ones: a batch of
#: 64 Stable Diffusion images (128 UNet rows with guidance) would take tens of GB.
_PIXELS_PER_BATCH = 16 * 64 * 64


class TextToImageModel(LatentModel):
    """A text-conditioned latent-diffusion pipeline explored through x_T.

    Parameters
    ----------
    unet
        A ``UNet2DConditionModel`` (ε-, v- or x₀-predicting, as its scheduler says).
    vae
        The ``AutoencoderKL`` whose latents the UNet denoises.
    text_encoder, tokenizer
        A CLIP text model and its tokenizer; the UNet cross-attends to the
        encoder's last hidden state.
    scheduler
        A ``DDIMScheduler`` built from the pipeline's scheduler config (its
        noise schedule, timestep spacing and prediction type).
    info
        Metadata; ``family`` is ``"text2image"``.
    scaling_factor, shift_factor
        The VAE's: the UNet's latents are ``(VAE latent − shift) × scaling``.
    steps
        DDIM steps per decode (default 25).
    scheduler_from
        The class of the pipeline's own scheduler, for the recipe.
    """

    can_encode = False

    def __init__(self, unet, vae, text_encoder, tokenizer, scheduler, info: ModelInfo, *,
                 scaling_factor: float = 1.0, shift_factor: float = 0.0, steps: int = DEFAULT_STEPS,
                 scheduler_from: str = ""):
        super().__init__()
        self.unet, self.vae, self.text_encoder = unet.eval(), vae.eval(), text_encoder.eval()
        self.tokenizer, self.scheduler, self.info = tokenizer, scheduler, info
        self.scaling_factor, self.shift_factor = float(scaling_factor), float(shift_factor)
        self.scheduler_from = scheduler_from
        self._prompt, self._negative, self._guidance = "", "", DEFAULT_GUIDANCE
        self._steps = self._checked_steps(steps)
        self._embedding: np.ndarray | None = None
        self._embedding_label = ""
        self._cache: dict[str, torch.Tensor] = {}  # prompt text → its encoding, on self.device
        self._progress: Progress | None = None
        self._done = self._total = 0

    # -- the conditioning ---------------------------------------------------------
    @property
    def family(self) -> str:
        """``"text2image"``."""
        return self.info.family

    @property
    def prompt(self) -> str:
        """The text the images are conditioned on (unless an embedding replaces it)."""
        return self._prompt

    @property
    def negative_prompt(self) -> str:
        """The text guidance steers away from ("" is the unconditional prompt)."""
        return self._negative

    @property
    def guidance(self) -> float:
        """The classifier-free guidance scale; 1 or less runs the conditional branch alone."""
        return self._guidance

    @property
    def steps(self) -> int:
        """DDIM steps per decode."""
        return self._steps

    @steps.setter
    def steps(self, value: int) -> None:
        self._steps = self._checked_steps(value)

    @property
    def embedding_size(self) -> int:
        """E, the length of :meth:`embed_prompt`'s vectors: tokens × the encoder's width."""
        return self._max_tokens() * int(self.text_encoder.config.hidden_size)

    def set_prompt(self, prompt: str, negative: str = "", guidance: float = DEFAULT_GUIDANCE,
                   steps: int | None = None) -> None:
        """Condition decoding on ``prompt`` (this drops an embedding set by :meth:`set_prompt_embedding`).

        Parameters
        ----------
        prompt, negative
            The prompt and the negative prompt (guidance steers away from it).
        guidance
            Classifier-free guidance scale, 0 to 100; 7.5 is Stable Diffusion's default.
        steps
            DDIM steps; ``None`` keeps the current count.

        Raises
        ------
        ValueError
            A prompt that is not text, a guidance scale that is not a finite number
            in range, or a step count outside 1 to the scheduler's training steps.
        """
        if not isinstance(prompt, str) or not isinstance(negative, str):
            raise ValueError(f"{self.info.name}: a prompt is text, got {type(prompt).__name__} "
                             f"and {type(negative).__name__}")
        try:
            guidance = float(guidance)
        except (TypeError, ValueError):
            raise ValueError(f"{self.info.name}: guidance {guidance!r} is not a number") from None
        if not (math.isfinite(guidance) and 0.0 <= guidance <= MAX_GUIDANCE):
            raise ValueError(f"{self.info.name}: guidance {guidance} is outside 0 to {MAX_GUIDANCE:g}")
        new_steps = self._steps if steps is None else self._checked_steps(steps)
        self._prompt, self._negative, self._guidance, self._steps = prompt, negative, guidance, new_steps
        self._embedding, self._embedding_label = None, ""

    def embed_prompt(self, text: str) -> np.ndarray:
        """The text encoder's last hidden state for ``text``, flattened: float32 (E,).

        It is the whole token sequence (tokens × width, 77 × 768 for Stable
        Diffusion 1.x), not the pooled vector, because the UNet cross-attends
        to every token: sums and differences of these vectors are conditioning
        the UNet can use as it is (``"a man with glasses" − "a man" + "a woman"``).
        """
        if not isinstance(text, str):
            raise ValueError(f"{self.info.name}: a prompt is text, got {type(text).__name__}")
        return self._encode(text).reshape(-1).float().cpu().numpy()

    def set_prompt_embedding(self, embedding: np.ndarray | None, label: str = "") -> None:
        """Decode with ``embedding`` (from :meth:`embed_prompt` arithmetic) instead of the prompt's.

        ``None`` returns to the text prompt. ``label`` (e.g. the expression it
        came from) is recorded in the recipe. The negative prompt and guidance
        still apply.

        Raises
        ------
        ValueError
            Not ``embedding_size`` values, or values that are not finite.
        """
        if embedding is None:
            self._embedding, self._embedding_label = None, ""
            return
        vector = np.asarray(embedding, np.float32).reshape(-1)
        if vector.size != self.embedding_size:
            raise ValueError(f"{self.info.name}: a prompt embedding of {vector.size} values given, "
                             f"the text encoder's have {self.embedding_size}")
        if not np.isfinite(vector).all():
            raise ValueError(f"{self.info.name}: the prompt embedding holds NaN or infinite values")
        self._embedding, self._embedding_label = vector.copy(), str(label)

    def recipe(self) -> dict[str, Any]:
        """How images are made now, as plain JSON: prompt, negative prompt, guidance, steps, sampler.

        ``embedding`` is the label of an embedding set by :meth:`set_prompt_embedding`
        (which then conditions the images instead of ``prompt``), else None;
        ``embedding_sha256`` tells two embeddings of one label apart (the
        SHA-256 of its float32 values), else None.
        """
        digest = None
        if self._embedding is not None:
            digest = hashlib.sha256(self._embedding.astype("<f4").tobytes()).hexdigest()
        return {"prompt": self._prompt, "negative_prompt": self._negative, "guidance": self._guidance,
                "steps": self._steps, "embedding": self._embedding_label if self._embedding is not None else None,
                "embedding_sha256": digest, "sampler": "DDIM", "eta": 0.0, "scheduler": self._scheduler_words()}

    def apply_recipe(self, recipe: dict[str, Any]) -> None:
        """Set the prompt, negative prompt, guidance and steps a :meth:`recipe` recorded.

        An embedding's label is not its value: a recipe with one restores the
        text prompt, and the caller re-evaluates the expression the label names.
        """
        self.set_prompt(recipe.get("prompt", ""), recipe.get("negative_prompt", ""),
                        recipe.get("guidance", DEFAULT_GUIDANCE), recipe.get("steps"))

    # -- decoding -----------------------------------------------------------------
    def modules(self):
        return [self.unet, self.vae, self.text_encoder]

    def to(self, device):
        self._cache.clear()  # encodings live on the old device
        return super().to(device)

    def decode(self, latents: np.ndarray, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        """Decode x_T with per-step progress: ``progress(step, total_steps)`` over all batches."""
        side = max(1, int(self.info.image_size))
        batch_size = max(1, min(int(batch_size), _PIXELS_PER_BATCH // (side * side)))
        n_batches = -(-len(latents) // batch_size) if len(latents) else 0
        self._progress, self._done, self._total = progress, 0, n_batches * self._steps
        try:
            return super().decode(latents, batch_size, None)
        finally:
            self._progress = None

    def _decode_batch(self, z: torch.Tensor) -> np.ndarray:
        n, guided = len(z), self._guidance > 1.0  # as diffusers: guidance ≤ 1 is the conditional branch alone
        cond = self._conditioning()
        context = cond.expand(n, -1, -1)
        if guided:
            context = torch.cat([self._encode(self._negative).expand(n, -1, -1), context])
        scheduler = self.scheduler
        scheduler.set_timesteps(self._steps, device=self.device)
        x = z * scheduler.init_noise_sigma
        for t in scheduler.timesteps:
            rows = torch.cat([x, x]) if guided else x
            out = self.unet(scheduler.scale_model_input(rows, t), t, encoder_hidden_states=context).sample
            if guided:
                uncond, conditional = out.chunk(2)
                out = uncond + self._guidance * (conditional - uncond)
            x = scheduler.step(out, t, x, eta=0.0).prev_sample
            self._done += 1
            if self._progress is not None:
                self._progress(self._done, self._total)
        image = self.vae.decode(x / self.scaling_factor + self.shift_factor).sample
        return to_uint8(image.clamp(-1, 1))

    def _conditioning(self) -> torch.Tensor:
        if self._embedding is None:
            return self._encode(self._prompt)
        shape = (1, self._max_tokens(), int(self.text_encoder.config.hidden_size))
        return torch.from_numpy(self._embedding.reshape(shape)).to(self.device)

    def _encode(self, text: str) -> torch.Tensor:
        """The encoder's last hidden state for ``text``, (1, tokens, width), cached per text."""
        if text not in self._cache:
            tokens = self.tokenizer(text, padding="max_length", max_length=self._max_tokens(), truncation=True,
                                    return_tensors="pt")
            # As diffusers' pipeline: the mask only for encoders trained with one.
            mask = tokens.attention_mask.to(self.device) \
                if getattr(self.text_encoder.config, "use_attention_mask", False) else None
            with torch.inference_mode():
                hidden = self.text_encoder(tokens.input_ids.to(self.device), attention_mask=mask)[0]
            if len(self._cache) > 64:  # prompt walks and arithmetic embed many texts once each
                self._cache.clear()
            self._cache[text] = hidden.float()
        return self._cache[text]

    def _max_tokens(self) -> int:
        # A tokenizer without a limit reports 1e30; the encoder's positions are the real bound.
        positions = int(self.text_encoder.config.max_position_embeddings)
        return min(int(getattr(self.tokenizer, "model_max_length", positions) or positions), positions)

    def _checked_steps(self, steps: Any) -> int:
        trained = int(self.scheduler.config.num_train_timesteps)
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= int(steps) <= trained:
            raise ValueError(f"{self.info.name}: steps {steps!r}; DDIM takes 1 to {trained} steps")
        return int(steps)

    def _scheduler_words(self) -> str:
        cfg = self.scheduler.config
        source = f" on the {self.scheduler_from} schedule" if self.scheduler_from else ""
        return (f"DDIMScheduler{source} ({cfg.get('beta_schedule', 'betas')}, {cfg.get('prediction_type', 'epsilon')}, "
                f"{cfg.get('timestep_spacing', 'leading')} spacing)")
