"""The Prompt tab's glue: a text-to-image model's prompt (Apply rebuilds the
bank for it), prompt arithmetic in the text-embedding space, and walks
between two prompts for one x_T — each through the inference worker, where
the model lives."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject

from explorer.core.expressions import ExpressionError
from explorer.core.interpolation import lerp, slerp
from explorer.core.preview import latent_preview, recipe_rows
from explorer.core.prompt_expression import combine, describe, parse, prompts_in
from explorer.inference.requests import Decode, EmbedPrompts, PromptWalk, SetPrompt, SetPromptEmbedding

TEXT_TO_IMAGE = "text2image"


class PromptController(QObject):
    """Owns SetPrompt, EmbedPrompts, SetPromptEmbedding and PromptWalk requests (and its decodes).

    ``embedding`` is the arithmetic embedding set on the model as (vector, label),
    or None while the model decodes with its prompt's own.
    """

    def __init__(self, ctx, panel):
        super().__init__(ctx.window)
        self.ctx, self.panel = ctx, panel
        self.available = False
        self.embedding: tuple[np.ndarray, str] | None = None
        self._pending: dict[int, tuple] = {}  # EmbedPrompts id → what its embeddings are for
        self.walk_request: PromptWalk | None = None  # the walk the filmstrip shows (or will)
        self._walking: PromptWalk | None = None  # a walk the worker has not answered yet
        self._restoring: set[int] = set()  # SetPrompt requests that bring back a session's prompt
        self._model_prompt: tuple | None = None  # the prompt settings the worker's model decodes with
        ctx.models.modelOpened.connect(self._on_model_opened)
        ctx.models.bankShown.connect(self._on_bank_shown)
        panel.applyRequested.connect(self.apply_prompt)
        panel.evaluateRequested.connect(self.evaluate)
        panel.resetRequested.connect(self.back_to_prompt)
        panel.walkRequested.connect(self.walk)
        panel.filmstrip.chosen.connect(self._show_frame)

    # -- the model ----------------------------------------------------------------
    def _on_model_opened(self, info) -> None:
        self.available = info.family == TEXT_TO_IMAGE
        self.embedding, self.walk_request, self._walking, self._pending = None, None, None, {}
        self._restoring.clear()
        self._model_prompt = None  # a new model: what it decodes with is not known here yet
        self.panel.reset_button.setEnabled(False)
        self.panel.filmstrip.clear()
        self.panel.show_error("")
        self.panel.set_available(self.available, f"{info.name} is a {info.family} model: prompts apply to "
                                                  "text-to-image models (a diffusers text-to-image pipeline folder).")

    def _on_bank_shown(self) -> None:
        bank = self.ctx.session.bank
        if self.available and bank is not None and bank.recipe:
            self.panel.show_recipe(bank.recipe)
            self._restore_prompt(bank.recipe)

    def _restore_prompt(self, recipe: dict) -> None:
        """A bank from a session was decoded with its own prompt: give the freshly loaded model the
        same one (without rebuilding the bank), so a click decodes what the thumbnails show."""
        wanted = _prompt_settings(recipe)
        if wanted[2] is None or wanted == self._model_prompt:
            return
        req = self.ctx.client.submit(SetPrompt(wanted[0], wanted[1], float(wanted[2]),
                                               int(wanted[3]) if wanted[3] else None), owner=self)
        self._restoring.add(req.id)

    # -- Apply: a new prompt, a new bank --------------------------------------------
    def apply_prompt(self, prompt: str, negative: str = "", guidance: float = 7.5, steps: int | None = None) -> None:
        """Give the model ``prompt`` (and the rest); its bank is then rebuilt in the background."""
        if not self.available:
            return
        req = self.ctx.client.submit(SetPrompt(prompt, negative, float(guidance), int(steps) if steps else None),
                                     owner=self)
        self.ctx.jobs.begin(req, "Encoding the prompt…")

    # -- prompt arithmetic ------------------------------------------------------------
    def evaluate(self, text: str) -> None:
        """Parse ``text``; its prompts are embedded in the worker, summed here, set on the model,
        and the current point's x_T is decoded with the sum."""
        if not self.available:
            return
        try:
            terms = parse(text)
        except ExpressionError as exc:
            self.panel.show_error(f"{exc.pointer()}\n{exc}")
            return
        start = self._current_x_t()
        if start is None:
            return
        self.panel.show_error("")
        self._embed(prompts_in(terms), ("expression", terms, *start))

    def back_to_prompt(self) -> None:
        """Decode with the prompt's own embedding again, and show the current x_T so."""
        if not self.available or self.embedding is None:
            return
        self.embedding = None
        self.panel.reset_button.setEnabled(False)
        self.ctx.client.submit(SetPromptEmbedding(None, ""), owner=self)
        start = self._current_x_t()
        if start is not None:
            self._preview("The prompt", start[0], (("x_T", start[1]),), "Decoded with the prompt's own embedding.")

    # -- a walk between two prompts ------------------------------------------------------
    def walk(self, first: str, last: str, method: str = "slerp", frames: int = 6) -> None:
        """Decode the current point's x_T for ``frames`` embeddings from ``first``'s to ``last``'s."""
        if not self.available:
            return
        if not first.strip() or not last.strip():
            self.ctx.message_bar.show_error("A prompt walk needs a prompt to start from and one to end at")
            return
        start = self._current_x_t()
        if start is not None:
            self._embed([first, last], ("walk", first, last, method, int(frames), *start))

    # -- requests and answers ----------------------------------------------------------------
    def _current_x_t(self) -> tuple[np.ndarray, str] | None:
        """The selected point's x_T (else the bank's first) and words naming it."""
        s = self.ctx.session
        if s.bank is None or len(s.bank) == 0:
            self.ctx.message_bar.show_error("There is no latent bank yet: wait for it, then click a point")
            return None
        i = s.selected if s.selected is not None else 0
        info = s.bank.describe(i)
        words = f"point #{i}" + (f" (seed {info['seed']}, index {info['index']})" if info["seed"] >= 0 else "")
        return s.bank.latent(i), words

    def _embed(self, texts: list[str], purpose: tuple) -> None:
        req = self.ctx.client.submit(EmbedPrompts(tuple(texts)), owner=self)
        self._pending[req.id] = purpose
        self.ctx.jobs.begin(req, f"Embedding {len(texts)} prompt{'s' if len(texts) != 1 else ''}…")

    def on_response(self, request, payload) -> None:
        if isinstance(request, SetPrompt):
            self._model_prompt = _prompt_settings(payload)
            if request.id in self._restoring:
                self._restoring.discard(request.id)
                return  # the session's bank was made with this prompt: nothing to rebuild
            self.ctx.jobs.end(request)
            self.embedding = None  # a new prompt brings its own embedding
            self.panel.reset_button.setEnabled(False)
            self.ctx.preview.clear()
            self.ctx.models.rebuild_bank()  # its progress and Cancel are the bank's
        elif isinstance(request, EmbedPrompts):
            self.ctx.jobs.end(request)
            purpose = self._pending.pop(request.id, None)
            if purpose is not None and purpose[0] == "expression":
                self._decode_expression(payload, *purpose[1:])
            elif purpose is not None:
                self._start_walk(payload, *purpose[1:])
        elif isinstance(request, SetPromptEmbedding):
            self._note_recipe(payload, request.label)
        elif isinstance(request, PromptWalk):
            self._ended(request)
            if request is self.walk_request:
                first, last = self._walk_ends
                t = np.linspace(0.0, 1.0, len(payload))
                self.panel.filmstrip.set_images(payload, [f"{x:.2f}" for x in t])
                self.ctx.window.statusBar().showMessage(f"Walked from “{first}” to “{last}” in {len(payload)} frames",
                                                        5000)
        elif isinstance(request, Decode):
            if self.ctx.preview.state is request.tag:
                self.ctx.preview.show_state(request.tag.with_image(payload[0]))

    def _decode_expression(self, embeddings: dict, terms, latent: np.ndarray, where: str) -> None:
        try:
            vector = combine(terms, embeddings)
        except ExpressionError as exc:
            self.panel.show_error(str(exc))
            return
        label = describe(terms)
        self.embedding = (vector, label)
        self.panel.reset_button.setEnabled(True)
        self.ctx.client.submit(SetPromptEmbedding(vector, label), owner=self)
        self._preview("Prompt arithmetic", latent, (("embedding", label), ("x_T", where)),
                      "The sum of the prompts' text embeddings, decoded from the same x_T. "
                      "Clicks decode with it until Back to the prompt.")

    def _preview(self, title: str, latent: np.ndarray, rows: tuple, note: str) -> None:
        """Show ``latent`` in the preview ("decoding…" until its image comes) with the model's recipe rows."""
        recipe = self.ctx.session.bank.recipe if self.ctx.session.bank is not None else {}
        skip = {"embedding", "prompt"} if self.embedding is not None else {"embedding"}  # the embedding row says it
        rows = rows + tuple(r for r in recipe_rows(recipe) if r[0] not in skip)
        state = latent_preview(title, latent, rows, note)
        self.ctx.preview.show_state(state)
        self.ctx.client.submit(Decode(latent[None], "prompt", tag=state), owner=self)

    def _start_walk(self, embeddings: dict, first: str, last: str, method: str, frames: int,
                    latent: np.ndarray, where: str) -> None:
        a, b = embeddings[first], embeddings[last]
        t = np.linspace(0.0, 1.0, frames)
        path = (slerp if method == "slerp" else lerp)(a, b, t)
        restore, label = self.embedding if self.embedding is not None else (None, "")
        self._walk_ends = (first, last)
        self.panel.filmstrip.clear()
        if self._walking is not None:  # a new walk replaces one still decoding
            self.ctx.client.cancel(self._walking)
        self.walk_request = self._walking = req = self.ctx.client.submit(PromptWalk(latent, path, restore, label),
                                                                         owner=self)
        self.ctx.jobs.begin(req, f"Walking from “{first}” to “{last}” ({where})…",
                            lambda: self.ctx.client.cancel(req))

    def _note_recipe(self, recipe: dict, label: str) -> None:
        """The bank's recipe says which embedding decodes now, so a clicked point's rows say it too."""
        bank = self.ctx.session.bank
        if bank is None or not isinstance(recipe, dict):
            return
        bank.recipe = {**recipe, "embedding": label} if label else \
            {k: v for k, v in recipe.items() if k != "embedding"}

    def _show_frame(self, row: int) -> None:
        strip = self.panel.filmstrip
        if 0 <= row < len(strip.images):
            first, last = self._walk_ends
            rows = (("from", first), ("to", last), ("frame", f"{row + 1} of {len(strip.images)}"))
            state = latent_preview("Prompt walk", self.walk_request.latent, rows,
                                   "One x_T, decoded with embeddings between the two prompts.")
            self.ctx.preview.show_state(state.with_image(strip.images[row]))

    def on_progress(self, request, done: int, total: int) -> None:
        what = "Walking between prompts" if isinstance(request, PromptWalk) else "Embedding prompts"
        self.ctx.jobs.progress(request, done, total, f"{what}… {done} of {total}")

    def on_failed(self, request, message: str) -> None:
        self._ended(request)
        self.ctx.message_bar.show_error(message)

    def on_cancelled(self, request) -> None:
        self._ended(request, "Cancelled")

    def _ended(self, request, message: str = "") -> None:
        self.ctx.jobs.end(request, message)
        self._pending.pop(request.id, None)
        if request is self._walking:
            self._walking = None


def _prompt_settings(recipe: dict) -> tuple:
    """(prompt, negative prompt, guidance, steps) of a model recipe: what a thumbnail depends on."""
    return (recipe.get("prompt", ""), recipe.get("negative_prompt", ""), recipe.get("guidance"), recipe.get("steps"))
