"""Seq2seq generation with transformers, and the settings every backend generates with.

An engine turns batches of token ids into generated token ids (`generate(batch, cap)`); the
summarizer (nlp/tasks/summarize.py) owns everything else - tokenizing, the long-input policy,
batching, decoding - so the transformers and CTranslate2 engines (nlp/models/ctranslate.py) follow
one policy.

What makes this engine faster than a per-document `generate` loop on the CPU (measured with
cProfile, README "Performance"): transformers' beam search reorders every layer's cached
cross-attention keys and values for every beam at every step, although the beams of one text
always share them - 46% of the time of a DistilBART-shaped batch. `SharedCrossAttentionCache` skips
that copy (the beams' rows are identical, so the output is too), and the summarizer sends
length-sorted batches under a token budget, so little is padded.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import torch

from nlp.runtime import Runtime


def generation_settings(model_defaults: Any, overrides: dict[str, Any]) -> Any:
    """The checkpoint's `generation_config` with the config's non-null keys applied (a copy)."""
    settings = copy.deepcopy(model_defaults)
    settings.update(**overrides)
    return settings


def capped(settings: Any, cap: int | None) -> Any:
    """`settings` for one batch: at most `cap` new tokens (a chunk's share of the input budget),
    and *_new_tokens, when set, in place of the checkpoint's total-length limits."""
    settings = copy.deepcopy(settings)
    if cap is not None:
        settings.max_new_tokens = min(settings.max_new_tokens or cap, cap)
        settings.min_new_tokens = min(settings.min_new_tokens or settings.min_length or 0, cap)
    if settings.max_new_tokens is not None:
        settings.max_length = None
    if settings.min_new_tokens is not None:
        settings.min_length = None
    return settings


def _shared_cache_class() -> type:
    from transformers import EncoderDecoderCache

    class SharedCrossAttentionCache(EncoderDecoderCache):
        def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
            # Beam search only moves beams within a text, and every beam of a text holds the same
            # encoder keys/values: reordering them would copy identical rows onto each other.
            self.self_attention_cache.reorder_cache(beam_idx)

    return SharedCrossAttentionCache


class TransformersEngine:
    """`model.generate` over batches of token ids, in the runtime's device and dtype.

    For an encoder-decoder model: each text is encoded alone (no padding in the encoder, which is
    most of the compute), the encoder states are padded for one batched decoder, and for beam
    search the cross-attention keys/values are computed once per text (not once per beam) and never
    reordered. The result is what `generate` gives each text alone, batched.
    """

    name = "transformers"
    default_rows = 8

    def __init__(self, model: Any, tokenizer: Any, runtime: Runtime, settings: Any):
        self.model, self.tokenizer, self.runtime, self.settings = model, tokenizer, runtime, settings
        self.compute_type = str(runtime.dtype).removeprefix("torch.")
        self._seq2seq = bool(model.config.is_encoder_decoder) and settings.use_cache is not False
        if self._seq2seq:
            # transformers 5.x renamed `past_key_values` to `cache`; accept either
            decoder = inspect.signature(model.get_decoder().forward).parameters
            self._cache_argument = "cache" if "cache" in decoder else "past_key_values"
            self._cache_class = _shared_cache_class()

    @property
    def beams(self) -> int:
        return max(1, self.settings.num_beams or 1)

    @torch.inference_mode()
    def generate(self, batch: list[list[int]], cap: int | None) -> list[list[int]]:
        """Generated ids per input (decoder start token and padding included; decode skips them)."""
        settings = capped(self.settings, cap)
        if not self._seq2seq:
            encoded = self.tokenizer.pad({"input_ids": batch}, return_tensors="pt").to(self.runtime.device)
            return self.model.generate(**encoded, generation_config=settings).tolist()
        from transformers.modeling_outputs import BaseModelOutput

        hidden, mask = self._encode(batch)
        extra = {}
        if (settings.num_beams or 1) > 1:
            extra[self._cache_argument] = self._beam_cache(hidden, mask, settings)
        generated = self.model.generate(
            encoder_outputs=BaseModelOutput(last_hidden_state=hidden),
            attention_mask=mask,
            generation_config=settings,
            **extra,
        )
        return generated.tolist()

    def _encode(self, batch: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoder states of each text run alone, right-padded with zeros into one batch, and the mask."""
        encoder, device = self.model.get_encoder(), self.runtime.device
        states = []
        for ids in batch:
            tokens = torch.tensor([ids], device=device)
            states.append(encoder(input_ids=tokens, attention_mask=torch.ones_like(tokens)).last_hidden_state[0])
        longest = max(len(ids) for ids in batch)
        hidden = states[0].new_zeros((len(batch), longest, states[0].shape[-1]))
        mask = torch.zeros((len(batch), longest), dtype=torch.long, device=device)
        for row, state in enumerate(states):
            hidden[row, : len(state)] = state
            mask[row, : len(state)] = 1
        return hidden, mask

    def _beam_cache(self, hidden: torch.Tensor, mask: torch.Tensor, settings: Any) -> Any:
        """A cache whose cross-attention part is filled by one decoder step per text, then repeated
        for each beam: `generate` would project the encoder states once per beam."""
        from transformers import DynamicCache, EncoderDecoderCache

        config = self.model.config.get_text_config(decoder=True)
        prefill = EncoderDecoderCache(DynamicCache(config=config), DynamicCache(config=config))
        start = settings.decoder_start_token_id
        start = self.model.config.decoder_start_token_id if start is None else start
        tokens = torch.full((len(hidden), 1), start if isinstance(start, int) else 0, device=hidden.device)
        self.model.get_decoder()(
            input_ids=tokens,
            encoder_hidden_states=hidden,
            encoder_attention_mask=mask,
            use_cache=True,
            **{self._cache_argument: prefill},
        )
        cross = prefill.cross_attention_cache
        cross.batch_repeat_interleave(settings.num_beams)
        return self._cache_class(DynamicCache(config=config), cross)
