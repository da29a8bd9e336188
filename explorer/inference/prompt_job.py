"""The worker's side of text-to-image prompts: set a prompt, embed prompts, set
an arithmetic embedding, and decode one x_T along a walk between embeddings.

Runs in the inference worker (the model lives there); the model follows the
text-to-image contract of ``models.families.text_to_image`` (``set_prompt``,
``embed_prompt``, ``set_prompt_embedding``, ``recipe``).
"""

from __future__ import annotations

import numpy as np

from models.errors import LatentExplorerError

from explorer.inference.requests import EmbedPrompts, PromptWalk, SetPrompt, SetPromptEmbedding

TEXT_TO_IMAGE = "text2image"


def serve_prompt(model, request, progress):
    """Answer one prompt request with ``model``; ``progress(done, total)`` may raise to cancel."""
    if getattr(model.info, "family", "") != TEXT_TO_IMAGE:
        raise LatentExplorerError(f"{model.info.name}: prompts apply to text-to-image models only "
                                  f"(this one is {model.info.family})")
    if isinstance(request, SetPrompt):
        model.set_prompt(request.prompt, request.negative, request.guidance, request.steps)
        return model.recipe()
    if isinstance(request, EmbedPrompts):
        out = {}
        for i, text in enumerate(request.texts):
            progress(i, len(request.texts))
            out[text] = np.asarray(model.embed_prompt(text), np.float32)
        return out
    if isinstance(request, SetPromptEmbedding):
        model.set_prompt_embedding(None if request.embedding is None else np.array(request.embedding), request.label)
        return model.recipe()
    if isinstance(request, PromptWalk):
        return _walk(model, request, progress)
    raise TypeError(f"not a prompt request: {type(request).__name__}")


def _walk(model, request: PromptWalk, progress) -> np.ndarray:
    """Every frame decoded from the same x_T; the embedding the user had is put back even on
    cancel or failure, so the next click decodes as before."""
    n = len(request.embeddings)
    latent = np.asarray(request.latent, np.float32).reshape(1, *model.latent_shape)
    frames = []
    try:
        for i, embedding in enumerate(request.embeddings):
            model.set_prompt_embedding(np.array(embedding), f"prompt walk, frame {i + 1} of {n}")
            # Cancel between the sampler's steps too: a frame can take seconds.
            frames.append(model.decode(latent, progress=lambda done, total, i=i: progress(i, n))[0])
            progress(i + 1, n)
    finally:
        restore = None if request.restore is None else np.array(request.restore)
        model.set_prompt_embedding(restore, request.restore_label)
    return np.stack(frames)

