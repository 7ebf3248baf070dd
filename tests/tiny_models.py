"""Random-weight Marian models built locally (no hub), laid out like a real opus-mt model.

Real Marian vocabularies put `<pad>` last (it starts the decoder and is never generated);
CTranslate2's converter relies on that and drops the last row. The tokenizer here is a
byte-level BPE trained on a few lines, so any text encodes; `</s>` ends every source.
Used by the CTranslate2 tests and by bench/mt_eval.py (an opus-mt-sized model for speed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TRAINING_LINES = (
    "林晓，你给我站住！",
    "Lin Xiao, stop right there!",
    "陈总，这份合同您看一下。",
    "Mr. Chen, please look at this contract.",
    "妈，我已经尽力了。",
    "Mom, I did my best.",
)


@dataclass(frozen=True)
class MarianShape:
    """Sizes of a Marian model. The defaults are tiny; `OPUS_MT` is the size of opus-mt-zh-en."""

    vocab_size: int = 400  # BPE target; a few lines give fewer tokens
    d_model: int = 32
    layers: int = 2
    heads: int = 2
    ffn: int = 64


OPUS_MT = MarianShape(vocab_size=8000, d_model=512, layers=6, heads=8, ffn=2048)


def marian_tokenizer(directory: Path, lines: Sequence[str], vocab_size: int) -> Any:
    """A byte-level BPE with `</s>` appended to each text and `<pad>` as the last token."""
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["</s>", "<unk>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    core.train_from_iterator(list(lines), trainer)
    core.add_special_tokens(["<pad>"])
    core.post_processor = processors.TemplateProcessing(single="$A </s>",
                                                        special_tokens=[("</s>", core.token_to_id("</s>"))])
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="</s>",
                                                     unk_token="<unk>")
    tokenizer.save_pretrained(directory)
    return tokenizer


def build_marian(directory: Path, shape: MarianShape = MarianShape(), lines: Sequence[str] = TRAINING_LINES,
                 seed: int = 0) -> Path:
    """Save a random Marian model and its tokenizer into `directory`."""
    import torch
    import transformers

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = marian_tokenizer(directory, lines, shape.vocab_size)
    config = transformers.MarianConfig(
        vocab_size=len(tokenizer),
        d_model=shape.d_model,
        encoder_layers=shape.layers,
        decoder_layers=shape.layers,
        encoder_attention_heads=shape.heads,
        decoder_attention_heads=shape.heads,
        encoder_ffn_dim=shape.ffn,
        decoder_ffn_dim=shape.ffn,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    transformers.MarianMTModel(config).save_pretrained(directory)
    return directory
