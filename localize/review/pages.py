"""The review pages as HTML: the season grid and one delivery's player and lines.

Every text that came from a model, a glossary, a subtitle file or a person goes through `esc`
(html.escape, quotes too): a translation reading `<script>` or `{\\b1}` is shown as those characters.
The pages work without a framework: a little JavaScript (`SCRIPT`) seeks the player, sends edits and
decisions as JSON and follows a re-render's progress.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from localize.report import timecode
from localize.review.model import Cell, Delivery, LineView, Season

STATUS_CSS = {"passed": "pass", "approved": "pass", "needs review": "review", "sent back": "review",
              "failed": "fail", "not run": ""}

STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}a{color:#0b57d0}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.pass{color:#1a7f37;font-weight:bold}.fail{color:#b42318;font-weight:bold}
.review{color:#9a6700;font-weight:bold}.muted{color:#666;font-size:90%}
.layout{display:flex;gap:1.5em;align-items:flex-start}.player{position:sticky;top:1em}
video{width:270px;height:480px;background:#000}
tr.line{cursor:pointer}tr.line.flagged{background:#fff6f0}tr.line:hover{background:#eef4ff}
.finding{font-size:90%}.finding.error{color:#b42318}.finding.warning{color:#9a6700}.finding.info{color:#555}
textarea{width:22em;height:3.2em;font:inherit}.zh{font-size:110%}#job{margin:.5em 0;font-weight:bold}
img.frame{width:68px;height:120px;object-fit:cover;border:1px solid #ccc}"""

SCRIPT = """
function api(path, body) {
  return fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)})
    .then(async r => {
      const data = await r.json();
      if (!r.ok) throw new Error(data.detail || r.statusText);
      return data;
    });
}
function reviewer() {
  const n = document.getElementById('reviewer');
  if (n) localStorage.reviewer = n.value;
  return n ? n.value : '';
}
function say(text) { document.getElementById('job').textContent = text; }
function seek(row) {
  const player = document.getElementById('player');
  if (player) { player.currentTime = parseFloat(row.dataset.start); }
}
function follow(job) {
  fetch('/api/jobs/' + job.id).then(r => r.json()).then(state => {
    say(state.state + (state.step ? ': ' + state.step : '') + (state.message ? ' — ' + state.message : ''));
    if (state.state === 'done') { location.reload(); }
    else if (state.state !== 'failed') { setTimeout(() => follow(job), 300); }
  });
}
function save(button) {
  const row = button.closest('tr');
  const text = row.querySelector('textarea').value;
  say('sending…');
  api('/api/edit', {market: document.body.dataset.market, episode: document.body.dataset.episode,
                    index: parseInt(row.dataset.index), target: text, reviewer: reviewer()})
    .then(follow).catch(e => say('not saved: ' + e.message));
}
function decide(kind) {
  api('/api/decision', {market: document.body.dataset.market, episode: document.body.dataset.episode,
                        decision: kind, comment: document.getElementById('comment').value, reviewer: reviewer()})
    .then(() => location.reload()).catch(e => say('not recorded: ' + e.message));
}
function cast(body) { api('/api/cast', body).then(() => location.reload()).catch(e => say(e.message)); }
document.addEventListener('DOMContentLoaded', () => {
  const n = document.getElementById('reviewer'); if (n && localStorage.reviewer) n.value = localStorage.reviewer;
  document.querySelectorAll('tr.line').forEach(row => row.addEventListener('click', e => {
    if (!['TEXTAREA', 'BUTTON'].includes(e.target.tagName)) seek(row); }));
});
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _page(title: str, body: str, attrs: str = "") -> str:
    return (f"<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content='width=device-width'>"
            f"<title>{esc(title)}</title><style>{STYLE}</style><script>{SCRIPT}</script>"
            f"<body{attrs}>{body}</body></html>\n")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def season_page(view: Season, out_name: str) -> str:
    head = "".join(f"<th>{esc(m)}</th>" for m in view.markets)
    rows = "".join(f"<tr><th>{esc(e)}</th>" + "".join(_cell(view.cells[(e, m)]) for m in view.markets) + "</tr>"
                   for e in view.episodes)
    counts = ", ".join(f"{view.count(s)} {s}" for s in ("needs review", "sent back", "failed", "passed", "approved")
                       if view.count(s))
    body = (f"<h1>Season review — {esc(out_name)}</h1><p>{esc(counts) or 'Nothing delivered yet.'}</p>"
            f"<table id=season><tr><th>episode</th>{head}</tr>{rows}</table>"
            "<p class=muted>Open a delivery to watch it, fix its lines and approve it. Reports to mail: "
            "<a href='/files/season-summary.html'>season summary</a>.</p>")
    return _page(f"Review {out_name}", body)


def _cell(cell: Cell) -> str:
    link = f"/episode/{quote(cell.market)}/{quote(cell.episode)}"
    status = f"<a href='{esc(link)}' class='{STATUS_CSS.get(cell.status, '')}'>{esc(cell.status)}</a>"
    if cell.status == "not run":
        return "<td class=muted>not run</td>"
    parts = []
    if cell.errors is not None:
        parts.append(f"{cell.errors} error{'s' if cell.errors != 1 else ''}")
    if cell.glossary_compliance is not None:
        parts.append(f"glossary {_percent(cell.glossary_compliance)}")
    if cell.dub_too_fast:
        parts.append(f"{cell.dub_too_fast} dub line{'s' if cell.dub_too_fast != 1 else ''} too fast")
    if cell.residual_chinese:
        parts.append(f"burned-in text left {_percent(cell.residual_chinese)}")
    if cell.decision is not None:
        who = f" by {cell.decision.reviewer}" if cell.decision.reviewer else ""
        parts.append(f"{cell.decision.decision}{who} {cell.decision.at}")
        if cell.decision.comment:
            parts.append(f"“{cell.decision.comment}”")
    if cell.release:
        parts.append(cell.release)
    if cell.error:
        parts.append(cell.error)
    details = "<br>".join(esc(p) for p in parts)
    return f"<td data-status='{esc(cell.status)}'>{status}<div class=muted>{details}</div></td>"


def delivery_page(view: Delivery, characters: list[tuple[str, str]], voices: list[str]) -> str:
    """`characters`: (name, this market's voice) of the season; `voices`: the voice ids the market can cast."""
    video = ""
    if "preview" in view.files:
        track = (f"<track kind=subtitles srclang=xx label='{esc(view.market)} subtitles' "
                 f"src='/files/{esc(quote(view.files['vtt']))}'>" if "vtt" in view.files else "")
        video = (f"<video id=player controls playsinline preload=auto "
                 f"src='/files/{esc(quote(view.files['preview']))}'>{track}</video>")
    else:
        video = "<p class=muted>No preview for this delivery (previews were off).</p>"
    links = " · ".join(f"<a href='/files/{esc(quote(path))}'>{esc(kind)}</a>" for kind, path in view.files.items())
    decision = view.decision
    said = (f"<p class='{STATUS_CSS.get(decision.decision, '')}' id=decision>{esc(decision.decision)}"
            f"{esc(' by ' + decision.reviewer) if decision.reviewer else ''} {esc(decision.at)}"
            f"{esc(': ' + decision.comment) if decision.comment else ''}</p>" if decision else
            "<p id=decision class=muted>Not decided yet.</p>")
    rows = "".join(_line_row(view, line) for line in view.lines)
    flagged = sum(1 for line in view.lines if line.flagged)
    rest = "".join(f"<li class='finding {esc(f.severity)}'>{esc(f.severity)} <code>{esc(f.code)}</code> "
                   f"{esc(f.message)}</li>" for f in view.other_findings)
    cast_rows = "".join(f"<tr><td>{esc(name)}</td><td>{esc(voice) or '—'}</td></tr>" for name, voice in characters)
    options = "".join(f"<option value='{esc(v)}'>" for v in voices)
    cast = (f"<h2>Characters</h2><table><tr><th>character</th><th>voice in {esc(view.market)}</th></tr>{cast_rows}"
            "</table><p><input id=old placeholder='name now'> → <input id=new placeholder='new name'> "
            "<button onclick=\"cast({action:'rename', old:old.value, new:document.getElementById('new').value})\">"
            "rename</button></p><p><input id=who placeholder=character> <input id=voice list=voices "
            f"placeholder='voice id'><datalist id=voices>{options}</datalist> <button onclick=\"cast({{action:'voice', "
            f"character:who.value, voice:voice.value, market:document.body.dataset.market}})\">recast</button>"
            "</p><p class=muted>Takes effect on the next run's dub (as <code>localize cast</code>).</p>"
            if characters else "")
    body = (f"<p><a href='/'>← season</a></p><h1>{esc(view.episode)} · {esc(view.market)}</h1>"
            f"<div class=layout><div class=player>{video}<p class=muted>{links}</p>{said}"
            "<p><input id=reviewer placeholder='your name'></p><p><textarea id=comment "
            "placeholder='comment (needed to send back)'></textarea></p>"
            "<p><button id=approve onclick=\"decide('approved')\">Approve</button> "
            "<button id=sendback onclick=\"decide('sent back')\">Send back</button></p><div id=job></div></div>"
            f"<div><p>{flagged} of {len(view.lines)} lines flagged (shown first). Click a line to see it; "
            "edit its translation and save: the subtitles, the line's dub and the preview are made again.</p>"
            "<table id=lines><tr><th>time</th><th>speaker</th><th>Chinese</th><th>translation</th><th>reading</th>"
            f"<th>findings</th></tr>{rows}</table>"
            f"{'<h2>Whole episode</h2><ul>' + rest + '</ul>' if rest else ''}{cast}</div></div>")
    attrs = f" data-market='{esc(view.market)}' data-episode='{esc(view.episode)}'"
    return _page(f"{view.episode} {view.market} review", body, attrs)


def _line_row(view: Delivery, line: LineView) -> str:
    findings = "".join(f"<div class='finding {esc(f.severity)}'>{esc(f.severity)} <code>{esc(f.code)}</code> "
                       f"{esc(f.message)}</div>" for f in line.findings)
    frame = (f"<img class=frame loading=lazy alt='frame' src='/frame/{esc(quote(view.market))}/"
             f"{esc(quote(view.episode))}/{line.index}.png'>" if line.flagged else "")
    speed = f"<br>dub {line.dub_speed:.2f}×" if line.dub_speed else ""
    css = "line flagged" if line.flagged else "line"
    replays = f"; replays {line.replays}: an edit here or there carries to both" if line.replays else ""
    return (f"<tr class='{css}' data-index='{line.index}' data-start='{line.start_ms / 1000:.3f}'>"
            f"<td>{esc(timecode(line.start_ms))}<br>{frame}</td><td>{esc(line.speaker) or '—'}</td>"
            f"<td><span class=zh>{esc(line.source)}</span><div class=muted>from {esc(line.origin)}"
            f"{esc(replays)}</div></td>"
            f"<td><textarea aria-label='translation of line {line.index + 1}'>{esc(line.target)}</textarea>"
            f"<br><button class=save onclick='save(this)'>Save</button></td>"
            f"<td>{line.cps} chars/s{speed}</td><td>{findings}</td></tr>")
