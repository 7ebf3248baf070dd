"""The only module that runs espeak-ng: speech synthesis and IPA phonemes."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

from localize.errors import MissingDependencyError, ToolError
from localize.fsutil import atomic_path

_HINT = "install it with: sudo apt-get install espeak-ng"


def _binary() -> str:
    found = shutil.which("espeak-ng")
    if not found:
        raise MissingDependencyError("espeak-ng", _HINT)
    return found


def _run(args: list[str], text: str) -> subprocess.CompletedProcess[bytes]:
    cmd = [_binary(), *args]
    done = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True)
    if done.returncode != 0:
        raise ToolError("espeak-ng", cmd, done.returncode, done.stderr.decode(errors="replace"))
    return done


def synthesize(text: str, voice: str, out_wav: Path | str, *, words_per_minute: int = 165,
               pitch: int = 50, amplitude: int = 100) -> Path:
    """Speak `text` with an espeak-ng voice (e.g. "es-419", "pt-br", "cmn-latn-pinyin+f3") into a WAV."""
    out_wav = Path(out_wav)
    with atomic_path(out_wav) as tmp:
        _run(["-v", voice, "-s", str(words_per_minute), "-p", str(pitch), "-a", str(amplitude),
              "-w", str(tmp), "--stdin"], text)
    return out_wav


def phonemize_ipa(text: str, voice: str) -> list[str]:
    """IPA phonemes per clause, as Piper voices expect (espeak-ng `--ipa`, one clause a line)."""
    done = _run(["-q", "--ipa", "-v", voice, "--stdin"], text)
    lines = done.stdout.decode("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


@functools.cache
def voice_names() -> frozenset[str]:
    """The voice ids `-v` accepts: language codes ("es-419", "fr-fr") and voice files ("roa/fr"), lower case."""
    names: set[str] = set()
    for line in _run(["--voices"], "").stdout.decode("utf-8", errors="replace").splitlines()[1:]:
        cells = line.split()
        if len(cells) >= 5:  # Pty Language Age/Gender VoiceName File [Other languages]
            names.update({cells[1].lower(), cells[4].lower(), cells[4].rsplit("/", 1)[-1].lower()})
    return frozenset(names)


def has_voice(voice: str) -> bool:
    """Whether espeak-ng has `voice` (a variant after "+", such as "+f3", is ignored)."""
    return voice.split("+", 1)[0].lower() in voice_names()
