"""The OpenAI-compatible engines against a server this project did not write: Hugging Face's
`transformers serve`, started for real on 127.0.0.1 with a tiny random chat model built here, and
configured by the README's tested localize.toml block (so the README's example stays true).

The model writes garbage; what is checked is the conversation: requests accepted, one answer per
line, the glossary term placed or flagged with its reason, and the requests and tokens counted.
"""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_translate_openai import tiny_qwen2_dir

from localize import cli

README = Path(__file__).resolve().parents[1] / "README.md"
MARKER = "<!-- tested-config: transformers-serve -->"
CHAT_TEMPLATE = ("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                 "{% if add_generation_prompt %}assistant:{% endif %}")


def readme_config() -> str:
    """The toml block right after the README's marker."""
    text = README.read_text(encoding="utf-8")
    found = re.search(re.escape(MARKER) + r"\s*```toml\n(.*?)```", text, re.DOTALL)
    assert found, f"README.md has no ```toml block after {MARKER}"
    return found.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def transformers_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    """`transformers serve MODEL` on a free loopback port; yields the model folder and the port."""
    root = tmp_path_factory.mktemp("transformers-serve")
    model = tiny_qwen2_dir(root / "tiny-chat")
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(model)
    tokenizer.chat_template = CHAT_TEMPLATE  # the server answers chat requests through the model's template
    tokenizer.save_pretrained(model)
    port = free_port()
    command = [str(Path(sys.executable).with_name("transformers")), "serve", str(model), "--host", "127.0.0.1",
               "--port", str(port), "--device", "cpu"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(root / "hf-home"), "NO_PROXY": "*"}
    log = (root / "server.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:
            if server.poll() is not None:
                pytest.fail(f"transformers serve exited ({server.returncode}):\n"
                            f"{(root / 'server.log').read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", trust_env=False, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("transformers serve did not answer /health within 180 s")
            time.sleep(0.5)
        yield model, port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.mark.slow  # starts a server process that imports torch and transformers (about 10 s)
def test_the_readme_example_translates_through_transformers_serve(
        transformers_serve: tuple[Path, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    model, port = transformers_serve
    example = readme_config()
    assert 'model = "/models/Qwen2.5-1.5B-Instruct"' in example and "127.0.0.1:8000" in example
    config = tmp_path / "localize.toml"
    config.write_text(example.replace("/models/Qwen2.5-1.5B-Instruct", model.as_posix())
                      .replace("127.0.0.1:8000", f"127.0.0.1:{port}"), encoding="utf-8")
    glossary = tmp_path / "es-419.tsv"
    glossary.write_text("source\ttarget\tkind\tnote\n张浩\tZhang Hao\tname\t\n", encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO("张浩，你来了。\n我们走吧。\n"))

    assert cli.main(["translate", "--market", "es-419", "--config", str(config), "--glossary", str(glossary)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 2
    # The random model never writes the name: term repair asks again, then writes it as the vocative it is.
    assert lines[0].startswith("Zhang Hao, ") or "not placed" in err
    used = re.search(r"translation server: (\S+) at http://127\.0\.0\.1:(\d+)/v1/chat/completions: "
                     r"(\d+) requests, ([\d,]+) prompt \+ ([\d,]+) completion tokens", err)
    assert used, err
    assert used.group(1) == model.as_posix() and int(used.group(2)) == port
    assert int(used.group(3)) >= 2 and int(used.group(4).replace(",", "")) > 0
