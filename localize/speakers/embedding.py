"""The only module that runs Resemblyzer's voice encoder (GE2E d-vectors; weights inside its wheel).

`Resemblyzer==0.1.4` (Apache-2.0) ships `resemblyzer/pretrained.pt`: a 3-layer LSTM over
40-band mel frames, a linear layer and a ReLU, trained for speaker verification. Its Python
code imports librosa and webrtcvad, so the package is installed with `--no-deps` and only its
weights are read: the mel frames are computed here with numpy/scipy and the network is
rebuilt with torch (CPU).
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from pathlib import Path
from typing import Any

import numpy as np

from localize import cores
from localize.errors import MissingDependencyError, ModelError
from localize.fsutil import sha256_file

PACKAGE = "resemblyzer"
WEIGHTS_FILE = "pretrained.pt"
WEIGHTS_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
INSTALL_HINT = "pip install --no-deps Resemblyzer==0.1.4 (scripts/install.sh does)"
MODEL_ID = f"resemblyzer-0.1.4-ge2e-{WEIGHTS_SHA256[:12]}"
SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s: what the encoder was trained on
TARGET_DBFS = -30.0
DIM = 256


def weights_path() -> Path:
    """The bundled weights, checked against their pinned sha256 (the package is found, not imported)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("Resemblyzer", INSTALL_HINT)
    path = Path(next(iter(spec.submodule_search_locations))) / WEIGHTS_FILE
    if not path.is_file() or sha256_file(path) != WEIGHTS_SHA256:
        raise ModelError(f"{path} is missing or does not match its pinned sha256; reinstall: {INSTALL_HINT}")
    return path


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (what the encoder was trained on)."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    step = np.log(6.4) / 27.0
    return np.where(hz >= 1000.0, 15.0 + np.log(np.maximum(hz, 1e-9) / 1000.0) / step, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    step = np.log(6.4) / 27.0
    return np.where(mel >= 15.0, 1000.0 * np.exp(step * (mel - 15.0)), mel * (200.0 / 3))


@functools.cache
def mel_filters() -> np.ndarray:
    """(N_MELS, N_FFT//2+1) triangular filters, area-normalized (Slaney)."""
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(SAMPLE_RATE / 2)), N_MELS + 2))
    bins = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    filters = np.maximum(0.0, np.minimum(rising, falling))
    filters *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return filters


def mel_frames(samples: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power of 16 kHz mono samples, 25 ms windows every 10 ms, volume raised to -30 dBFS."""
    wav = np.asarray(samples, dtype=np.float64)
    power = float(np.mean(wav ** 2)) if len(wav) else 0.0
    if power > 0:
        gain_db = TARGET_DBFS - 10 * np.log10(power)
        if gain_db > 0:  # only ever raised, as in training
            wav = wav * 10 ** (gain_db / 20)
    padded = np.pad(wav, N_FFT // 2, mode="reflect") if len(wav) > N_FFT // 2 else np.pad(wav, N_FFT // 2)
    count = 1 + (len(padded) - N_FFT) // HOP
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(count)[:, None]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)  # periodic Hann
    spectrum = np.abs(np.fft.rfft(padded[index] * window, axis=1)) ** 2
    return (spectrum @ mel_filters().T).astype(np.float32)


class VoiceEncoder:
    """256-dim, L2-normalized voiceprints of 16 kHz speech; the same voice gives a high cosine similarity."""

    def __init__(self) -> None:
        try:
            import torch
        except ImportError as exc:
            raise MissingDependencyError("torch", "pip install torch==2.13.0 (see README)") from exc
        state = torch.load(weights_path(), map_location="cpu", weights_only=True)["model_state"]
        self._torch: Any = torch
        self._lstm = torch.nn.LSTM(N_MELS, DIM, 3, batch_first=True)
        self._linear = torch.nn.Linear(DIM, DIM)
        self._lstm.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("lstm.")})
        self._linear.load_state_dict({k[7:]: v for k, v in state.items() if k.startswith("linear.")})
        self._lstm.eval()
        self._linear.eval()

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """One voiceprint for a stretch of speech: the mean of its 1.6 s partials (half-overlapping)."""
        return self.embed_many([samples])[0]

    def embed_many(self, clips: list[np.ndarray]) -> np.ndarray:
        """(len(clips), 256) voiceprints, the partials of every clip run through the network at once."""
        partials: list[np.ndarray] = []
        owner: list[int] = []
        for index, clip in enumerate(clips):
            frames = mel_frames(clip)
            if len(frames) == 0:
                frames = np.zeros((1, N_MELS), dtype=np.float32)
            starts = list(range(0, max(1, len(frames) - PARTIAL_FRAMES + 1), PARTIAL_FRAMES // 2))
            if len(frames) > PARTIAL_FRAMES and starts[-1] != len(frames) - PARTIAL_FRAMES:
                starts.append(len(frames) - PARTIAL_FRAMES)
            partials.extend(frames[s:s + PARTIAL_FRAMES] for s in starts)
            owner.extend([index] * len(starts))
        if not partials:
            return np.zeros((0, DIM))
        torch = self._torch
        cores.use_in_torch(torch)
        with torch.inference_mode():
            packed = torch.nn.utils.rnn.pack_sequence([torch.from_numpy(p) for p in partials], enforce_sorted=False)
            _, (hidden, _) = self._lstm(packed)  # final states at each partial's own length
            vectors = torch.relu(self._linear(hidden[-1]))
            vectors = (vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-9)).numpy().astype(np.float64)
        out = np.zeros((len(clips), DIM))
        np.add.at(out, np.asarray(owner), vectors)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


_LOCK = threading.Lock()


@functools.cache
def _cached() -> VoiceEncoder:
    return VoiceEncoder()


def load_encoder() -> VoiceEncoder:
    """One encoder per process (episodes of a season share it)."""
    with _LOCK:
        return _cached()
