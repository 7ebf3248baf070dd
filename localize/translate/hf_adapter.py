"""The only module that imports transformers and torch: load local models, generate text.

A model is named by a local directory, a local `.gguf` file, a model id already in the
Hugging Face cache, or "gemma3-270m" (the bundled demo model). Every load passes
`local_files_only=True`: nothing is ever downloaded. Each model is loaded once per
process. The bundled GGUF takes ~40 s to dequantize, so its dequantized weights are
saved once into `localize.models.gemma_cache_dir()` and later loads take seconds.
"""

from __future__ import annotations

import copy
import importlib.util
import inspect
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any, TypeVar

from localize import cores
from localize.errors import MissingDependencyError, ModelError
from localize.fsutil import write_text_atomic
from localize.models import GEMMA_NAME, gemma_cache_dir, gemma_gguf_path, models_dir
from localize.translate import scripts

log = logging.getLogger("localize")

_STAMP = "localize-source.txt"  # inside a dequantized cache: which GGUF it was made from

_lock = threading.Lock()
_loaded: dict[tuple[str, str], Any] = {}
_script_ids: dict[tuple[str, str], tuple[int, ...]] = {}

T = TypeVar("T")


@dataclass(frozen=True)
class ModelLocation:
    """Where a model lives: a directory or cached model id, and optionally a GGUF file in it."""

    directory: str
    gguf_file: str | None = None
    cache_dir: Path | None = None  # where a dequantized copy of the GGUF is kept

    @property
    def key(self) -> str:
        return f"{self.directory}/{self.gguf_file}" if self.gguf_file else self.directory


@dataclass(frozen=True)
class Decoding:
    """Greedy decoding, optionally against repetition (for a retry of a line that looped)."""

    repetition_penalty: float = 1.0  # > 1 makes tokens already generated less likely
    no_repeat_ngram_size: int = 0  # > 0: no n-gram of this size generated twice

    def generate_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if self.repetition_penalty != 1.0:
            kwargs["repetition_penalty"] = self.repetition_penalty
        if self.no_repeat_ngram_size > 0:
            kwargs["no_repeat_ngram_size"] = self.no_repeat_ngram_size
        return kwargs


@dataclass(frozen=True)
class CausalLM:
    """A loaded decoder-only model, its tokenizer, and the token ids that end a line.

    Several pieces of work run the model at once, each with its share of the cores (`_running`); `lock`
    keeps the tokenizer and the remembered heads to one piece at a time (transformers' fast tokenizers
    change their own settings on every call and fail when two threads call them at once: "Already
    borrowed", huggingface/transformers#47085).
    """

    source: str
    model: Any
    tokenizer: Any
    stop_ids: tuple[int, ...]
    pad_id: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)
    # key/value caches of prompt starts shared by whole batches (see _encode_sharing_head); under `lock`
    head_caches: dict[tuple[int, ...], Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Seq2SeqLM:
    """A loaded encoder-decoder model (Marian, NLLB, M2M100, mBART...) and its tokenizer."""

    source: str
    model: Any
    tokenizer: Any
    model_type: str
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def has_token(self, token: str) -> bool:
        """Whether `token` is a whole token of the vocabulary (language codes, `>>spa<<` prefixes)."""
        return token in self.tokenizer.get_vocab()


def resolve(model: str) -> ModelLocation:
    """Turn a model name into a local location, or say why it cannot be one."""
    if model == GEMMA_NAME:
        gguf = gemma_gguf_path()
        return ModelLocation(str(gguf.parent), gguf.name, gemma_cache_dir())
    path = Path(model).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ModelError(f"GGUF file {path} does not exist")
        return ModelLocation(str(path.resolve().parent), path.name)
    if path.is_dir():
        return ModelLocation(str(path.resolve()))
    if model.startswith(("/", ".", "~")) or path.exists():
        raise ModelError(f"model {model!r} is not a directory with a transformers model or a .gguf file")
    return ModelLocation(model)  # a model id: only the local Hugging Face cache is consulted


def load_causal_lm(model: str, device: str = "cpu", dtype: str = "auto") -> CausalLM:
    """A causal LM by name, loaded once per process, device and dtype (see the module docstring for names)."""
    location = resolve(model)
    where = torch_device(device)
    kind = torch_dtype(dtype, where)
    return _load_once(("causal", f"{location.key}@{where}/{kind}"),
                      lambda: _on_device(_build_causal(location), where, kind))


def load_seq2seq(model: str, device: str = "cpu", dtype: str = "auto") -> Seq2SeqLM:
    """An encoder-decoder translation model by name, loaded once per process, device and dtype."""
    location = resolve(model)
    where = torch_device(device)
    kind = torch_dtype(dtype, where)
    return _load_once(("seq2seq", f"{location.key}@{where}/{kind}"),
                      lambda: _on_device(_build_seq2seq(location), where, kind))


def load_tokenizer(path: str) -> Any:
    """A model's tokenizer alone, loaded once per process (the CTranslate2 engine's text <-> tokens)."""
    location = resolve(path)
    return _load_once(("tokenizer", location.key),
                      lambda: _pretrained(_libs()[1].AutoTokenizer, location, "tokenizer"))


DTYPES = ("auto", "float32", "bfloat16", "float16")


def torch_dtype(dtype: str, device: str) -> str:
    """The weights' type: "auto" is bfloat16 where the hardware computes it natively, else float32.

    Measured on the bundled Gemma 3 270M, 8 lines, 2 cores with AMX: bfloat16 3.7 s vs float32
    8.4-11.4 s, same words. Without AMX or AVX512-BF16, CPUs emulate bfloat16 slowly.
    """
    if dtype not in DTYPES:
        raise ModelError(f"dtype {dtype!r}: give one of {', '.join(DTYPES)}")
    if dtype != "auto":
        return dtype
    if device == "cuda":
        torch, _ = _libs()
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return "bfloat16" if cpu_computes_bfloat16() else "float32"


def cpu_computes_bfloat16() -> bool:
    """Whether this CPU has bfloat16 matrix instructions (Intel AMX or AVX512-BF16), from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"amx_bf16", "avx512_bf16"})
    except OSError:
        pass
    return False


def torch_device(device: str) -> str:
    """"cpu", "cuda" or "auto" (CUDA when torch sees a GPU) as a torch device name."""
    if device not in ("cpu", "cuda", "auto"):
        raise ModelError(f"device {device!r}: give cpu, cuda or auto")
    if device == "cpu":
        return "cpu"
    torch, _ = _libs()
    if torch.cuda.is_available():
        return "cuda"
    if device == "cuda":
        raise ModelError("device 'cuda' asked for translation, but torch sees no GPU (this is the CPU wheel, "
                         "or no driver): use --device auto or cpu")
    return "cpu"


LM = TypeVar("LM", CausalLM, Seq2SeqLM)


def _on_device(lm: LM, device: str, dtype: str) -> LM:
    torch, _ = _libs()
    lm.model.to(device=device, dtype=getattr(torch, dtype))
    return lm


def foreign_script_ids(lm: CausalLM, script: str) -> tuple[int, ...]:
    """Ids of tokens that would write letters outside `script` ("latin", "japanese": kana and kanji...;
    `localize.translate.scripts`), and raw byte tokens.

    Suppressing them during generation makes "Chinese left in the output", the demo model's most
    common failure, impossible for Latin-script markets (byte tokens could spell Chinese too).
    """
    key = (lm.source, script)
    with _lock:
        if key not in _script_ids:
            allowed = scripts.prefixes(script)
            decode = lm.tokenizer.convert_tokens_to_string

            def find() -> list[int]:
                return [index for token, index in lm.tokenizer.get_vocab().items()
                        if _is_byte_token(token) or _has_foreign_letter(decode([token]), allowed)]

            with lm.lock:
                _script_ids[key] = _remembered(lm.tokenizer, f"foreign-{script}", find)
        return _script_ids[key]


def _remembered(tokenizer: Any, what: str, find: Callable[[], list[int]]) -> tuple[int, ...]:
    """Token ids found by decoding every token of the vocabulary (seconds for Gemma's 262k tokens), kept
    on disk per vocabulary and per version of the code that decides, so a new process reads them back."""
    code = b"".join(Path(module).read_bytes() for module in (__file__, scripts.__file__))
    vocabulary = json.dumps(sorted(tokenizer.get_vocab().items()), ensure_ascii=False).encode("utf-8")
    name = sha256(code + b"\0" + vocabulary + b"\0" + what.encode("utf-8")).hexdigest()[:24]
    path = models_dir() / "token-ids" / f"{name}.json"
    try:
        return tuple(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass  # not found yet (or unreadable): find them
    ids = tuple(sorted(find()))
    try:
        write_text_atomic(path, json.dumps(ids))
    except OSError as exc:  # a read-only cache: found again next time
        log.debug("could not keep token ids in %s: %s", path, exc)
    return ids


def _is_byte_token(token: str) -> bool:
    return token.startswith("<0x") and token.endswith(">")


def _has_foreign_letter(text: str, allowed: tuple[str, ...]) -> bool:
    """A letter of another script, or a partial UTF-8 sequence (byte-level BPE pieces of e.g. Han)."""
    return "\ufffd" in text or any(ch.isalpha() and not scripts.in_script(ch, allowed) for ch in text)


def generate_lines(
    lm: CausalLM, prompts: Sequence[str], max_new_tokens: Sequence[int], batch_size: int = 4,
    suppress_ids: Sequence[int] = (), decoding: Decoding | None = None,
) -> list[str]:
    """Greedy continuation of each prompt up to its first newline (or its token budget).

    Prompts are batched (left-padded; on CPU the output layer dominates, so a batch of
    four costs little more than one line) and sorted by length to waste little padding.
    `suppress_ids` are tokens never generated (see `foreign_script_ids`).
    """
    raw = generate_raw(lm, prompts, max_new_tokens, batch_size, suppress_ids, decoding)
    return [text.split("\n", 1)[0].strip() for text in raw]


def generate_raw(
    lm: CausalLM, prompts: Sequence[str], max_new_tokens: Sequence[int], batch_size: int = 4,
    suppress_ids: Sequence[int] = (), decoding: Decoding | None = None,
) -> list[str]:
    """What greedy decoding writes after each prompt, as decoded (leading space and newline kept). A row
    stops at its own budget: a batch runs until every row has ended, not to its largest budget."""
    torch, _ = _libs()
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    results: dict[int, str] = {}
    with _running(lm), torch.inference_mode():
        for start in range(0, len(order), max(1, batch_size)):
            chunk = order[start : start + max(1, batch_size)]
            _configure_threads(torch)  # the pieces sharing the cores may have changed since the last batch
            budget = max(max_new_tokens[i] for i in chunk)
            encoded = _encode_sharing_head(lm, [prompts[i] for i in chunk], then=budget)
            output = lm.model.generate(
                input_ids=encoded.input_ids,
                attention_mask=encoded.attention_mask,
                **({"past_key_values": encoded.head_cache, "position_ids": encoded.positions()}
                   if encoded.head_cache is not None else {}),
                stopping_criteria=_stop_on_loops(encoded.input_ids.shape[1], [max_new_tokens[i] for i in chunk]),
                max_new_tokens=budget,
                do_sample=False,
                num_beams=1,
                eos_token_id=list(lm.stop_ids),
                pad_token_id=lm.pad_id,
                **({"logits_processor": _suppressor(suppress_ids)} if suppress_ids else {}),
                **(decoding or Decoding()).generate_kwargs(),
            )
            new_tokens = output[:, encoded.input_ids.shape[1] :]
            texts = _decoded(lm, [row[: max_new_tokens[i]].tolist() for row, i in zip(new_tokens, chunk, strict=True)])
            results.update(zip(chunk, texts, strict=True))
    return [results[i] for i in range(len(prompts))]


@dataclass(frozen=True)
class Continued:
    """What greedy decoding wrote after a forced start, and how likely the model finds the whole of it."""

    text: str  # what the model wrote after the forced start, as decoded (its line end kept)
    cut: bool  # stopped at its token budget (no line end, no loop)
    log_prob: float  # mean log-probability per token of the forced start, what was written and the line end


def continue_scored(lm: CausalLM, prompts: Sequence[str], forced: Sequence[str], max_new_tokens: Sequence[int],
                    batch_size: int = 4, suppress_ids: Sequence[int] = ()) -> list[Continued]:
    """Each prompt continued greedily from `forced` (its first tokens, given), scored in the same pass.

    The model's mean log-probability per token covers the forced tokens, the ones it wrote and the one
    that ended the line (how likely it ends there), from logits the writing computes anyway: the
    forced tokens' come with the pass over the prompt, the others with each step. Scoring afterwards
    ran every candidate through the model once more (bundled Gemma, a term repair of 41 candidates,
    2 cores: 4.2 s to write, 4.1 s more to score). Scores use the raw logits; `suppress_ids` (see
    `foreign_script_ids`) only keep tokens from being chosen. A row stops at its line end, a loop
    (`looping`) or its own budget.
    """
    torch, _ = _libs()
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]) + len(forced[i]))
    stops = set(lm.stop_ids)
    results: dict[int, Continued] = {}
    with _running(lm), torch.inference_mode():
        for start in range(0, len(order), max(1, batch_size)):
            chunk = order[start : start + max(1, batch_size)]
            _configure_threads(torch)  # the pieces sharing the cores may have changed since the last batch
            fulls = [prompts[i] + forced[i] for i in chunk]
            lengths = [len(ids) for ids in _token_ids(lm, [*fulls, *(prompts[i] for i in chunk)])]
            counts = [max(1, full - alone) for full, alone in zip(lengths[:len(chunk)], lengths[len(chunk):],
                                                                  strict=True)]
            budgets = [max_new_tokens[i] for i in chunk]
            encoded = _encode_sharing_head(lm, fulls, own_at_least=max(counts) + 1, then=max(budgets))
            logits, cache = _forward(lm.model, _own_inputs(encoded), max(counts) + 1)
            given = encoded.input_ids[:, -(logits.shape[1] - 1):]
            token_lp = torch.log_softmax(logits[:, :-1].float(), dim=-1).gather(-1, given.unsqueeze(-1)).squeeze(-1)
            sums = [float(row[-count:].sum()) for row, count in zip(token_lp, counts, strict=True)]
            written: list[list[int]] = [[] for _ in chunk]
            ended = [False] * len(chunk)
            bias = _suppress_bias(torch, suppress_ids, logits.shape[-1], lm.model.device)
            last, mask = logits[:, -1].float(), encoded.attention_mask
            positions = encoded.positions()[:, -1:]
            while True:
                choice = (last if bias is None else last + bias).argmax(-1)
                chosen_lp = torch.log_softmax(last, dim=-1).gather(-1, choice.unsqueeze(-1)).squeeze(-1)
                for r, (token, lp) in enumerate(zip(choice.tolist(), chosen_lp.tolist(), strict=True)):
                    if ended[r]:
                        continue
                    written[r].append(token)
                    sums[r] += lp
                    ended[r] = token in stops or looping(written[r]) or len(written[r]) >= budgets[r]
                if all(ended):
                    break
                mask = torch.cat([mask, mask.new_ones((len(chunk), 1))], dim=1)
                positions = positions + 1
                step, cache = _forward(lm.model, {"input_ids": choice.unsqueeze(-1), "attention_mask": mask,
                                                  "past_key_values": cache, "position_ids": positions}, 1)
                last = step[:, -1].float()
            for r, (i, text) in enumerate(zip(chunk, _decoded(lm, written), strict=True)):
                tokens = written[r]
                cut = len(tokens) >= budgets[r] and not stops & set(tokens) and not looping(tokens)
                results[i] = Continued(text, cut, sums[r] / (counts[r] + len(tokens)))
    return [results[i] for i in range(len(prompts))]


def _own_inputs(encoded: Encoded) -> dict[str, Any]:
    """The model's inputs for a batch: only the tokens after the shared head, when it is cached."""
    inputs: dict[str, Any] = {"input_ids": encoded.input_ids, "attention_mask": encoded.attention_mask,
                              "position_ids": encoded.positions()}
    if encoded.head_cache is not None:
        inputs.update(input_ids=encoded.input_ids[:, encoded.head_length:], past_key_values=encoded.head_cache,
                      position_ids=encoded.positions()[:, encoded.head_length:])
    return inputs


def _forward(model: Any, inputs: dict[str, Any], keep: int) -> tuple[Any, Any]:
    """The logits of each row's last `keep` positions, and the key/value cache. Only those go through the
    output layer when the model takes `logits_to_keep`: Gemma's 262k-token layer over whole prompts, 16 at
    a time, cost seconds and ~6 GB of memory for a handful of scored tokens."""
    if "logits_to_keep" in inspect.signature(model.forward).parameters:
        out = model(**inputs, use_cache=True, logits_to_keep=keep)
        return out.logits, out.past_key_values
    out = model(**inputs, use_cache=True)
    return out.logits[:, -keep:], out.past_key_values


@dataclass(frozen=True)
class Encoded:
    """A batch of token rows, left-padded, whose first `head_length` tokens (the part every row shares)
    sit in `head_cache` already (None: nothing shared, the whole rows go through the model)."""

    input_ids: Any
    attention_mask: Any
    head_length: int = 0
    head_cache: Any = None

    def positions(self) -> Any:
        """Each token's position in its row, padding not counted (the row reads as if unpadded)."""
        return (self.attention_mask.cumsum(-1) - 1).clamp(min=0)


MIN_SHARED_HEAD = 16  # tokens: a shorter shared start is not worth caching
HEAD_CACHES_KEPT = 16  # shared heads remembered per model (~1.5 MB each for the bundled Gemma)
HEAD_SLACK = 24  # tokens: a remembered head this much shorter than what a batch shares is used, not a new one


def _encode_sharing_head(lm: CausalLM, texts: Sequence[str], own_at_least: int = 1, then: int = 0) -> Encoded:
    """`texts` as a batch whose shared start (the few-shot examples, the same in every prompt of a
    market) is run through the model once per model and remembered, not once per row and call.

    Rows are [shared head][padding][the row's own tokens]: positions follow the attention mask, so
    each row reads exactly as when left-padded. Measured on the bundled Gemma 3 270M (16 prompts,
    85 of ~105 tokens shared, 2 cores): the pass over the prompts 1.13 -> 0.51 s. Each row keeps at
    least its last `own_at_least` tokens out of the head (the positions whose logits are wanted).
    Nothing is shared where the rows and the `then` tokens to be generated outgrow a sliding attention
    window (Gemma: 512): the padding inside a row would take places in its window.
    """
    torch, _ = _libs()
    rows = _token_ids(lm, texts)
    width = max(len(row) for row in rows)
    shared = min(_common_start(rows), min(len(row) for row in rows) - own_at_least)
    window = getattr(lm.model.config, "sliding_window", None)
    if shared < MIN_SHARED_HEAD or (window and width + then > window):
        shared = 0
    with lm.lock:
        shared = _remembered_length(lm, rows[0], shared)
    ids = torch.full((len(rows), width), lm.pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    ids[:, :shared] = torch.tensor(rows[0][:shared], dtype=torch.long)
    mask[:, :shared] = 1
    for i, row in enumerate(rows):
        own = row[shared:]
        ids[i, width - len(own):] = torch.tensor(own, dtype=torch.long)
        mask[i, width - len(own):] = 1
    device = lm.model.device
    if not shared:
        return Encoded(ids.to(device), mask.to(device))
    with lm.lock:
        cache = copy.deepcopy(_head_cache(lm, tuple(rows[0][:shared])))
    cache.batch_repeat_interleave(len(rows))
    return Encoded(ids.to(device), mask.to(device), shared, cache)


def _token_ids(lm: CausalLM, texts: Sequence[str]) -> list[list[int]]:
    """Each text's token ids (the tokenizer, one piece at a time: see CausalLM)."""
    with lm.lock:
        return [list(lm.tokenizer(text)["input_ids"]) for text in texts]


def _decoded(lm: CausalLM, rows: Sequence[Sequence[int]]) -> list[str]:
    """Each row of token ids as text, special tokens left out (the tokenizer, one piece at a time)."""
    with lm.lock:
        return [lm.tokenizer.decode(list(row), skip_special_tokens=True) for row in rows]


def _remembered_length(lm: CausalLM, row: Sequence[int], shared: int) -> int:
    """The longest remembered head that starts `row` and is at most HEAD_SLACK tokens shorter than
    `shared`, else `shared`. What a batch shares past the few-shot examples varies with its rows (the
    same first word, the tokens kept out for scoring): a head per batch cost a pass over ~90 tokens
    each time (21 heads for 9 episodes' translations into 3 markets)."""
    best = 0
    for head in lm.head_caches:
        if best < len(head) <= shared and len(head) >= shared - HEAD_SLACK and tuple(row[:len(head)]) == head:
            best = len(head)
    return best or shared


def _common_start(rows: Sequence[Sequence[int]]) -> int:
    length = 0
    for column in zip(*rows, strict=False):
        if len(set(column)) > 1:
            break
        length += 1
    return length


def _head_cache(lm: CausalLM, head: tuple[int, ...]) -> Any:
    """The model's key/value cache after `head` (batch of one), computed once per model and head (under
    the model's lock: another piece wanting it waits rather than computing it too)."""
    torch, _ = _libs()
    cache = lm.head_caches.pop(head, None)  # put back last: the least recently used one goes first
    if cache is None:
        while len(lm.head_caches) >= HEAD_CACHES_KEPT:
            lm.head_caches.pop(next(iter(lm.head_caches)))
        tokens = torch.tensor([head], dtype=torch.long, device=lm.model.device)
        _, cache = _forward(lm.model, {"input_ids": tokens}, 1)
    lm.head_caches[head] = cache
    return cache


def _suppressor(suppress_ids: Sequence[int]) -> Any:
    """A logits processor that never lets `suppress_ids` be generated. transformers' own
    (`suppress_tokens`) rebuilds its vocabulary mask with torch.isin at every step: a quarter of the
    generation time with the ~100k foreign-script ids of Gemma's vocabulary. Here a row of 0 / -inf is
    made once and added (16 rows of 262k logits: 0.9 ms, where masked_fill took 12 ms a step)."""
    torch, transformers = _libs()
    base: Any = transformers.LogitsProcessor

    class SuppressIds(base):
        bias: Any = None

        def __call__(self, input_ids: Any, scores: Any) -> Any:
            bias = self.bias
            if bias is None or bias.shape[0] != scores.shape[-1] or bias.device != scores.device \
                    or bias.dtype != scores.dtype:
                self.bias = bias = _suppress_bias(torch, suppress_ids, scores.shape[-1], scores.device, scores.dtype)
            return scores + bias

    return transformers.LogitsProcessorList([SuppressIds()])


def _suppress_bias(torch: Any, suppress_ids: Sequence[int], vocabulary: int, device: Any,
                   dtype: Any = None) -> Any:
    """A row of 0, and -inf at `suppress_ids` (those within `vocabulary`); None when there are none."""
    if not suppress_ids:
        return None
    wanted = torch.tensor(sorted(set(suppress_ids)), dtype=torch.long)
    bias = torch.zeros(vocabulary, dtype=dtype or torch.float32)
    bias[wanted[wanted < vocabulary]] = -float("inf")
    return bias.to(device)


def looping(tokens: Sequence[int], min_repeats: int = 8, max_period: int = 8) -> bool:
    """Whether generation has fallen into a loop: its last tokens are one short unit repeated.

    8 repeats: enough that the output checks (localize.translate.checks, which let "no, no, no, no"
    pass as drama) always flag what was stopped here.
    """
    for period in range(1, max_period + 1):
        span = period * min_repeats
        if len(tokens) >= span and list(tokens[-span:]) == list(tokens[-period:]) * min_repeats:
            return True
    return False


def _stop_on_loops(prompt_length: int, budgets: Sequence[int] | None = None) -> Any:
    """Stop a row once it loops ("la, la, la, ..."): it is flagged anyway, and the rest of its
    token budget would be spent on more of the same (the public StoppingCriteria extension point).
    With `budgets`, a row also stops at its own budget."""
    torch, transformers = _libs()

    base: Any = transformers.StoppingCriteria

    class StopOnLoops(base):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            written = input_ids.shape[1] - prompt_length
            rows = [looping(row[prompt_length:].tolist()) or (budgets is not None and written >= budgets[i])
                    for i, row in enumerate(input_ids)]
            return torch.tensor(rows, dtype=torch.bool, device=input_ids.device)

    return transformers.StoppingCriteriaList([StopOnLoops()])


def generate_seq2seq(
    lm: Seq2SeqLM,
    texts: Sequence[str],
    *,
    max_new_tokens: int,
    source_language: str | None = None,
    target_token: str | None = None,
    batch_size: int = 8,
    decoding: Decoding | None = None,
) -> list[str]:
    """Translate `texts` with the model's own generation settings (beam size etc.).

    `source_language` is set as the tokenizer's `src_lang` where it has one (NLLB, M2M100,
    mBART); `target_token` is forced as the first generated token.
    """
    torch, _ = _libs()
    tokenizer = lm.tokenizer
    extra: dict[str, Any] = {}
    if target_token is not None:
        extra["forced_bos_token_id"] = tokenizer.convert_tokens_to_ids(target_token)
    extra.update((decoding or Decoding()).generate_kwargs())
    outputs: list[str] = []
    with _running(lm), torch.inference_mode():
        if source_language is not None and hasattr(tokenizer, "src_lang"):
            tokenizer.src_lang = source_language
        for start in range(0, len(texts), max(1, batch_size)):
            chunk = list(texts[start : start + max(1, batch_size)])
            encoded = tokenizer(chunk, return_tensors="pt", padding=True, truncation=True, max_length=512)
            encoded.pop("token_type_ids", None)
            encoded = encoded.to(lm.model.device)
            generated = lm.model.generate(**encoded, max_new_tokens=max_new_tokens, **extra)
            decoded = tokenizer.batch_decode(generated, skip_special_tokens=True)
            outputs += [text.split("\n", 1)[0].strip() for text in decoded]
    return outputs


def continue_seq2seq(
    lm: Seq2SeqLM,
    texts: Sequence[str],
    prefixes: Sequence[str],
    *,
    max_new_tokens: int,
    source_language: str | None = None,
    target_token: str | None = None,
) -> list[tuple[str, float]]:
    """Per text, the translation forced to start with its prefix (greedy), and the model's mean
    log-probability per token of the whole translation."""
    torch, _ = _libs()
    tokenizer = lm.tokenizer
    model = lm.model
    start_ids = [model.config.decoder_start_token_id]
    if target_token is not None:
        start_ids.append(tokenizer.convert_tokens_to_ids(target_token))
    results: list[tuple[str, float]] = []
    with _running(lm), torch.inference_mode():
        if source_language is not None and hasattr(tokenizer, "src_lang"):
            tokenizer.src_lang = source_language
        for text, prefix in zip(texts, prefixes, strict=True):
            encoded = tokenizer([text], return_tensors="pt", truncation=True, max_length=512)
            encoded.pop("token_type_ids", None)
            encoded = encoded.to(model.device)
            forced = start_ids + tokenizer(text_target=prefix, add_special_tokens=False)["input_ids"]
            decoder_ids = torch.tensor([forced], device=model.device)
            generated = model.generate(**encoded, decoder_input_ids=decoder_ids,
                                       max_new_tokens=max_new_tokens, do_sample=False, num_beams=1)[0]
            eos = tokenizer.eos_token_id
            if eos is not None and int(generated[-1]) != eos:  # cut by the budget: score its end too
                generated = torch.cat([generated, generated.new_tensor([eos])])
            logits = model(**encoded, decoder_input_ids=generated[None, :-1]).logits[0].float()
            token_lp = torch.log_softmax(logits, dim=-1).gather(-1, generated[1:, None]).squeeze(-1)
            keep = generated[1:] != tokenizer.pad_token_id
            decoded = tokenizer.decode(generated, skip_special_tokens=True)
            results.append((decoded.split("\n", 1)[0].strip(), float(token_lp[keep].mean())))
    return results


@contextmanager
def _running(lm: CausalLM | Seq2SeqLM) -> Iterator[None]:
    """The model, for this piece of work, with torch's threads set to its share of the cores.

    A causal LM runs in several pieces at once, each on its share: two markets translating at once on
    2 cores, one thread each, took 33 s where one at a time with both threads took 50 s (the same lines
    word for word; the Python between the matrix products kept the second core idle a third of the time).
    A seq2seq model is run by one piece at a time (its tokenizer's source language is set per call);
    while another piece runs it, this one leaves its share of the cores to the others (cores.waiting).
    """
    if isinstance(lm, CausalLM):
        _libs()  # threads set for this call
        yield
        return
    if not lm.lock.acquire(blocking=False):
        with cores.waiting():
            lm.lock.acquire()
    try:
        _libs()  # threads set for this call
        yield
    finally:
        lm.lock.release()


def _load_once(key: tuple[str, str], build: Callable[[], T]) -> T:
    with _lock:
        if key not in _loaded:
            began = time.perf_counter()
            _loaded[key] = build()
            log.info("loaded %s model %s in %.1f s", key[0], key[1], time.perf_counter() - began)
        return _loaded[key]


def _libs() -> tuple[Any, Any]:
    """torch and transformers, imported on first use with a clear message when missing."""
    try:
        import torch
    except ImportError as exc:
        raise MissingDependencyError("torch", "install the CPU wheel: pip install torch==2.13.0") from exc
    try:
        import transformers
    except ImportError as exc:
        raise MissingDependencyError("transformers", "pip install transformers==5.23.0 accelerate") from exc
    _configure_threads(torch)
    # Our own progress display is the CLI's; transformers' bars would mix with flags on stderr.
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    return torch, transformers


def _configure_threads(torch: Any) -> None:
    """Use this process's share of the cores (localize.cores), checked before each model call."""
    cores.use_in_torch(torch)


def _pretrained(loader: Any, location: ModelLocation, what: str, **kwargs: Any) -> Any:
    """loader.from_pretrained, local files only, with failures turned into ModelError."""
    if location.gguf_file:
        kwargs["gguf_file"] = location.gguf_file
    try:
        return loader.from_pretrained(location.directory, local_files_only=True, **kwargs)
    except (OSError, ValueError, KeyError) as exc:
        hint = "" if Path(location.directory).exists() else " (not in the local Hugging Face cache; no hub is used)"
        raise ModelError(f"cannot load {what} from {location.key}{hint}: {exc}") from exc


def _build_causal(location: ModelLocation) -> CausalLM:
    _, transformers = _libs()
    if location.gguf_file:
        model, tokenizer = _load_gguf(location, transformers)
    else:
        config = _pretrained(transformers.AutoConfig, location, "model config")
        if getattr(config, "is_encoder_decoder", False):
            raise ModelError(f"{location.key} is an encoder-decoder model: use the 'seq2seq' engine")
        model = _pretrained(transformers.AutoModelForCausalLM, location, "causal LM")
        tokenizer = _pretrained(transformers.AutoTokenizer, location, "tokenizer")
    model.eval()
    tokenizer.padding_side = "left"  # generation continues from the right edge of each prompt
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return CausalLM(location.key, model, tokenizer, _stop_ids(model, tokenizer), int(tokenizer.pad_token_id))


def _build_seq2seq(location: ModelLocation) -> Seq2SeqLM:
    _, transformers = _libs()
    if location.gguf_file:
        raise ModelError(f"{location.key}: GGUF files hold causal LMs; a seq2seq model needs a directory")
    model = _pretrained(transformers.AutoModelForSeq2SeqLM, location, "seq2seq model")
    tokenizer = _pretrained(transformers.AutoTokenizer, location, "tokenizer")
    model.eval()
    return Seq2SeqLM(location.key, model, tokenizer, str(model.config.model_type))


def _stop_ids(model: Any, tokenizer: Any) -> tuple[int, ...]:
    """End-of-sequence ids plus every token whose text contains a newline."""
    ids = {i for i in (tokenizer.eos_token_id,) if i is not None}
    configured = model.generation_config.eos_token_id
    ids.update(configured if isinstance(configured, list) else [] if configured is None else [configured])

    def newlines() -> list[int]:
        return [index for token, index in tokenizer.get_vocab().items()
                if "\n" in tokenizer.convert_tokens_to_string([token])]

    ids.update(_remembered(tokenizer, "newline", newlines))
    return tuple(sorted(ids))


def _load_gguf(location: ModelLocation, transformers: Any) -> tuple[Any, Any]:
    """A GGUF model dequantized to float32, through its cache directory when it has one."""
    for module in ("gguf", "accelerate"):
        if importlib.util.find_spec(module) is None:
            raise MissingDependencyError(module, "pip install gguf==0.19.0 accelerate==1.15.0")
    gguf = Path(location.directory) / str(location.gguf_file)
    stamp = f"{gguf.name} {gguf.stat().st_size}"
    cache = location.cache_dir
    if cache is not None and _cache_matches(cache, stamp):
        cached = ModelLocation(str(cache))
        log.info("loading dequantized %s from %s", gguf.name, cache)
        return _pretrained(transformers.AutoModelForCausalLM, cached, "cached causal LM"), _cached_tokenizer(cache)
    log.info("dequantizing %s (about a minute; cached afterwards)", gguf)
    model = _pretrained(
        transformers.AutoModelForCausalLM,
        location,
        "GGUF causal LM",
        quantization_config=transformers.GgufConfig(dequantize=True),  # a plain model, savable
    )
    tokenizer = _pretrained(transformers.AutoTokenizer, location, "GGUF tokenizer")
    if cache is None:
        return model, tokenizer
    _save_cache(model, tokenizer, cache, stamp)
    return model, _cached_tokenizer(cache)  # the tokenizer every later load reads


SPECIAL_TOKENS = ("bos_token", "eos_token", "pad_token", "unk_token", "mask_token")


def _cached_tokenizer(cache: Path) -> Any:
    """The tokenizer saved beside the dequantized weights, read by the tokenizers library straight from its
    tokenizer.json: 1.4 s for Gemma's 262k tokens, where AutoTokenizer's GemmaTokenizer first parses the 33 MB
    file in Python (4.7 s). The same ids and texts (tests/test_translate_gemma.py)."""
    _, transformers = _libs()
    try:
        config = json.loads((cache / "tokenizer_config.json").read_text(encoding="utf-8"))
        specials = {name: config[name] for name in SPECIAL_TOKENS if isinstance(config.get(name), str)}
        return transformers.PreTrainedTokenizerFast(tokenizer_file=str(cache / "tokenizer.json"), **specials)
    except Exception as exc:  # a missing or bad file: OSError, ValueError, or tokenizers' plain Exception
        raise ModelError(f"cannot load the cached tokenizer in {cache}: {exc}; remove the folder to rebuild it") \
            from exc


def _cache_matches(cache: Path, stamp: str) -> bool:
    marker = cache / _STAMP
    return marker.is_file() and marker.read_text(encoding="utf-8").strip() == stamp


def _save_cache(model: Any, tokenizer: Any, cache: Path, stamp: str) -> None:
    """Save into a temporary directory, then rename: a crash never leaves a half cache."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{cache.name}.", dir=cache.parent))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / _STAMP).write_text(stamp + "\n", encoding="utf-8")
        tmp.chmod(0o755)
        if cache.exists():
            shutil.rmtree(cache)  # made from another GGUF
        os.replace(tmp, cache)
        log.info("saved dequantized weights to %s", cache)
    except OSError as exc:  # read-only disk, or another process renamed its copy first
        log.warning("could not cache dequantized weights in %s: %s", cache, exc)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
