"""Who speaks when in one episode: segmentation, voiceprints of short pieces, clustering.

1. pyannote's segmentation model (localize.speakers.segmentation) cuts speech into pieces of one
   voice: windows of 10 s every `window_step_ms`, each trusted only in its middle part, where a
   change of its local speaker (or a pause) ends a piece.
2. Pieces longer than `max_piece_ms` are split, so a change the model missed is still clustered
   apart; each piece gets a voiceprint (localize.speakers.embedding).
3. Agglomerative clustering (average linkage) on cosine distance, stopped at `threshold`;
   pieces too short for a reliable voiceprint go to the nearest cluster instead.
4. Neighbouring pieces of one cluster become turns; each cluster keeps its voiceprint (the mean)
   and its median pitch, for linking across the season (localize.speakers.registry).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from localize.speakers import pitch

log = logging.getLogger("localize")
SAMPLE_RATE = 16000


@dataclass(frozen=True)
class DiarizeOptions:
    """How an episode's speech is split among voices.

    threshold: voice distance (see `voice_distance`) above which two clusters stay apart.
    pitch_weight: how much a difference in median pitch (per octave, capped at one) adds to the
        voiceprints' cosine distance. Measured on the sample season's piece voiceprints (four
        espeak-ng characters, 94 pieces): GE2E alone puts two same-gender characters 0.16-0.19 apart
        while one voice's pieces spread to 0.31 (90th percentile), so no threshold both keeps each
        voice whole and splits those pairs; with pitch at 0.5 and threshold 0.4 every cluster is pure
        and episodes get 4-5 clusters for their 4 characters (bench/speaker_eval.py).
    min_piece_ms: pieces shorter than this are not clustered, only given the nearest cluster.
    """

    enabled: bool = True
    window_step_ms: int = 2500
    max_piece_ms: int = 2000
    min_piece_ms: int = 600
    drop_below_ms: int = 150  # blips the segmentation model marks: not speech worth a label
    join_gap_ms: int = 400  # pieces of one cluster this close become one turn
    threshold: float = 0.4
    min_cluster_ms: int = 1500  # smaller clusters join the nearest larger one (pyannote's min_cluster_size)
    pitch_weight: float = 0.5
    max_speakers: int = 8
    threads: int = 1


@dataclass(frozen=True)
class SpeakerTurn:
    """A stretch of speech by one voice of the episode (`label` "S1", "S2"... by first appearance)."""

    start_ms: int
    end_ms: int
    label: str
    confidence: float = 1.0  # cosine similarity of the turn's voice to its cluster's voiceprint


@dataclass(frozen=True)
class Voiceprint:
    """One voice of an episode: its mean embedding, how long it speaks, its median pitch."""

    label: str
    embedding: tuple[float, ...]
    speech_ms: int
    f0_hz: float | None = None


@dataclass(frozen=True)
class Diarization:
    turns: tuple[SpeakerTurn, ...]
    voices: tuple[Voiceprint, ...]
    model: str = ""

    def voice(self, label: str) -> Voiceprint | None:
        return next((v for v in self.voices if v.label == label), None)


@dataclass(frozen=True)
class _Piece:
    start_ms: int
    end_ms: int

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


def model_identity() -> str:
    """What the diarize stage's results depend on, for the result store's key."""
    from localize.speakers import embedding, segmentation

    return f"pyannote-segmentation-3.0-{segmentation.MODEL_SHA256[:12]}+{embedding.MODEL_ID}"


def diarize_file(wav_16k: Path, options: DiarizeOptions | None = None) -> Diarization:
    from localize.dub.wav import read_wav

    audio = read_wav(wav_16k)
    if audio.sample_rate != SAMPLE_RATE:
        raise ValueError(f"diarization needs 16 kHz audio, got {audio.sample_rate} Hz: {wav_16k}")
    return diarize_samples(audio.samples.mean(axis=1), options)


def diarize_samples(samples: np.ndarray, options: DiarizeOptions | None = None) -> Diarization:
    from localize.speakers.embedding import load_encoder
    from localize.speakers.segmentation import load_model

    options = options or DiarizeOptions()
    step = options.window_step_ms * SAMPLE_RATE // 1000
    pieces = speech_pieces(load_model(options.threads).windows(samples, step), step, len(samples), options)
    encoder = load_encoder()
    clips = [_cut(samples, p) for p in pieces]
    embeddings = encoder.embed_many(clips)
    f0 = [pitch.median_f0(clip, SAMPLE_RATE) for clip in clips]
    return cluster_pieces(samples, pieces, embeddings, f0, options, model_identity())


def voice_distance(a: np.ndarray, f0_a: float | None, b: np.ndarray, f0_b: float | None,
                   pitch_weight: float) -> float:
    """Cosine distance of two unit voiceprints, plus `pitch_weight` per octave between their pitches (<= 1)."""
    return max(0.0, 1.0 - float(a @ b)) + pitch_weight * _octaves(f0_a, f0_b)


def _octaves(f0_a: float | None, f0_b: float | None) -> float:
    if not f0_a or not f0_b:
        return 0.0
    return min(1.0, abs(float(np.log2(f0_a / f0_b))))


def speech_pieces(windows: Sequence[object], step: int, total: int, options: DiarizeOptions) -> list[_Piece]:
    """Pieces of one local speaker from each window's trusted middle, split to `max_piece_ms`."""
    from localize.speakers.segmentation import CLASSES, FRAME_STEP, WINDOW, WindowClasses

    runs: list[_Piece] = []
    for k, window in enumerate(windows):
        assert isinstance(window, WindowClasses)
        low = 0 if k == 0 else window.start + (WINDOW - step) // 2
        high = total if k == len(windows) - 1 else window.start + (WINDOW + step) // 2
        current, begin, last = -1, 0, 0
        for index, cls in enumerate(window.classes):
            mid = window.frame_mid(index)
            if mid < low or mid >= high:
                continue
            speaker = CLASSES[int(cls)][0] if len(CLASSES[int(cls)]) == 1 else -1  # overlaps: no one voice
            if speaker != current:
                if current >= 0:
                    runs.append(_Piece(_ms(begin), _ms(last)))
                current, begin = speaker, mid - FRAME_STEP // 2
            last = min(mid + FRAME_STEP // 2, total)
        if current >= 0:
            runs.append(_Piece(_ms(begin), _ms(last)))
    pieces: list[_Piece] = []
    for run in runs:
        if run.duration_ms < options.drop_below_ms:
            continue
        parts = max(1, -(-run.duration_ms // options.max_piece_ms))
        bounds = np.linspace(run.start_ms, run.end_ms, parts + 1).round().astype(int)
        pieces.extend(_Piece(int(a), int(b)) for a, b in itertools.pairwise(bounds))
    return pieces


def cluster_pieces(samples: np.ndarray, pieces: Sequence[_Piece], embeddings: np.ndarray,
                   f0: Sequence[float | None], options: DiarizeOptions, model: str = "") -> Diarization:
    """Cluster the long pieces' voiceprints, give short ones the nearest cluster, join into turns."""
    if not pieces:
        return Diarization((), (), model)
    long = [i for i, p in enumerate(pieces) if p.duration_ms >= options.min_piece_ms]
    if not long:
        long = [max(range(len(pieces)), key=lambda i: pieces[i].duration_ms)]
    distances = np.array([[voice_distance(embeddings[i], f0[i], embeddings[j], f0[j], options.pitch_weight)
                           for j in long] for i in long])
    ids = agglomerate(distances, options.threshold, options.max_speakers)
    ids = _absorb_small(ids, distances, [pieces[i].duration_ms for i in long], options.min_cluster_ms)
    centroids = {c: _unit(np.average(embeddings[[long[j] for j in np.nonzero(ids == c)[0]]], axis=0,
                                     weights=[pieces[long[j]].duration_ms for j in np.nonzero(ids == c)[0]]))
                 for c in set(ids.tolist())}
    pitches = {c: _median([f0[long[j]] for j in np.nonzero(ids == c)[0]]) for c in centroids}
    assigned: list[tuple[int, float]] = []
    for i in range(len(pieces)):
        near = {c: voice_distance(embeddings[i], f0[i], v, pitches[c], options.pitch_weight)
                for c, v in centroids.items()}
        best = min(near, key=lambda c: near[c])
        own = int(ids[long.index(i)]) if i in long else best
        assigned.append((own, float(embeddings[i] @ centroids[own])))
    order = sorted(centroids, key=lambda c: min(pieces[i].start_ms for i, (a, _) in enumerate(assigned) if a == c))
    names = {c: f"S{n}" for n, c in enumerate(order, start=1)}
    turns = _join([(p, names[a], s) for p, (a, s) in zip(pieces, assigned, strict=True)], options.join_gap_ms)
    voices = tuple(_voiceprint(samples, names[c], centroids[c], [t for t in turns if t.label == names[c]])
                   for c in order)
    return Diarization(tuple(turns), voices, model)


def agglomerate(distances: np.ndarray, threshold: float, max_clusters: int) -> np.ndarray:
    """Cluster ids (0-based) from a square distance matrix: average linkage, cut at `threshold`."""
    if len(distances) == 1:
        return np.zeros(1, dtype=int)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    square = np.maximum(distances, distances.T)
    np.fill_diagonal(square, 0.0)
    tree = linkage(squareform(square, checks=False), method="average")
    ids = fcluster(tree, t=threshold, criterion="distance")
    if ids.max() > max_clusters:
        ids = fcluster(tree, t=max_clusters, criterion="maxclust")
    return np.asarray(ids, dtype=int) - 1


def _absorb_small(ids: np.ndarray, distances: np.ndarray, durations: Sequence[int], min_ms: int) -> np.ndarray:
    """Clusters with less speech than `min_ms` join the cluster nearest to them (average distance) that has enough:
    a stray second of a voice is more likely a known voice heard badly than a new one."""
    speech = {c: sum(d for d, i in zip(durations, ids, strict=True) if i == c) for c in set(ids.tolist())}
    large = [c for c, ms in speech.items() if ms >= min_ms]
    if not large:
        return ids
    out = ids.copy()
    for small in (c for c, ms in speech.items() if ms < min_ms):
        rows = np.nonzero(ids == small)[0]
        nearest = min(large, key=lambda c: float(distances[np.ix_(rows, np.nonzero(ids == c)[0])].mean()))
        out[rows] = nearest
    return out


def _join(labelled: Sequence[tuple[_Piece, str, float]], gap_ms: int) -> list[SpeakerTurn]:
    turns: list[SpeakerTurn] = []
    weights: list[int] = []
    for piece, label, score in sorted(labelled, key=lambda x: x[0].start_ms):
        last = turns[-1] if turns else None
        if last and last.label == label and piece.start_ms - last.end_ms <= gap_ms:
            total = weights[-1] + piece.duration_ms
            confidence = (last.confidence * weights[-1] + score * piece.duration_ms) / max(total, 1)
            turns[-1] = SpeakerTurn(last.start_ms, max(last.end_ms, piece.end_ms), label, round(confidence, 3))
            weights[-1] = total
        else:
            turns.append(SpeakerTurn(piece.start_ms, piece.end_ms, label, round(score, 3)))
            weights.append(piece.duration_ms)
    return turns


def _voiceprint(samples: np.ndarray, label: str, centroid: np.ndarray, turns: Sequence[SpeakerTurn]) -> Voiceprint:
    speech = sum(t.end_ms - t.start_ms for t in turns)
    voiced = np.concatenate([_cut(samples, _Piece(t.start_ms, t.end_ms)) for t in turns]) if turns else np.zeros(0)
    f0 = pitch.median_f0(voiced[:30 * SAMPLE_RATE], SAMPLE_RATE)
    return Voiceprint(label, tuple(round(float(x), 6) for x in centroid), speech,
                      round(f0, 1) if f0 is not None else None)


def _cut(samples: np.ndarray, piece: _Piece) -> np.ndarray:
    return samples[piece.start_ms * SAMPLE_RATE // 1000:piece.end_ms * SAMPLE_RATE // 1000]


def _median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v]
    return float(np.median(known)) if known else None


def _ms(sample: int) -> int:
    return max(0, round(sample * 1000 / SAMPLE_RATE))


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-9)
