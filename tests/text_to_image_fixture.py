"""A tiny random text-to-image pipeline folder, saved by diffusers' own ``save_pretrained``
(UNet2DConditionModel + AutoencoderKL + CLIP text encoder and tokenizer + DDIM scheduler).

Shared by the model, reader and window tests: 16×16 images, a 4×8×8 latent,
a 2-layer 32-wide CLIP encoder with 16 token positions, and a tiny BPE
vocabulary written here (nothing is downloaded).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

IMAGE = 16  # pixels
LATENT = (4, 8, 8)  # the VAE halves the image once
TOKENS = 16  # the encoder's positions and the tokenizer's max length


def _tokenizer(folder: Path):
    """A CLIPTokenizer over lower-case letters, space-ended words and a few merges."""
    from transformers import CLIPTokenizer

    symbols = list("abcdefghijklmnopqrstuvwxyz") + [c + "</w>" for c in "abcdefghijklmnopqrstuvwxyz"]
    merges = ["m a", "ma n</w>", "w o", "g l", "s m"]
    merged = ["ma", "man</w>", "wo", "gl", "sm"]
    vocab = {s: i for i, s in enumerate(["!", "\"", "<|startoftext|>", "<|endoftext|>"] + symbols + merged)}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    tokenizer = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=TOKENS)
    return tokenizer, len(vocab)


def make_text_to_image_pipeline(folder: Path, seed: int = 0) -> Path:
    """Write a tiny random ``StableDiffusionPipeline`` to ``folder`` (safetensors only) and return it."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    with tempfile.TemporaryDirectory() as scratch:  # the tokenizer saves itself into the pipeline
        tokenizer, vocab_size = _tokenizer(Path(scratch))
    unet = UNet2DConditionModel(
        sample_size=LATENT[1], in_channels=LATENT[0], out_channels=LATENT[0], layers_per_block=1,
        block_out_channels=(8, 16), down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=32, attention_head_dim=2,
        norm_num_groups=4)
    vae = AutoencoderKL(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 2,
                        up_block_types=("UpDecoderBlock2D",) * 2, block_out_channels=(8, 16), latent_channels=LATENT[0],
                        norm_num_groups=4, sample_size=IMAGE)
    text = CLIPTextModel(CLIPTextConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=37,
                                        num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=TOKENS,
                                        bos_token_id=2, eos_token_id=3, pad_token_id=1))
    scheduler = DDIMScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012,
                              clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
                                   safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(folder, safe_serialization=True)
    return Path(folder)
