"""End to end through the real console script: outputs, replay, idempotence, bad input."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cleanup.document import Edit, replay

CLI = [str(Path(sys.executable).parent / "cleanup")]


def cleanup(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + list(args), capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory, sample_path):
    out = tmp_path_factory.mktemp("out")
    result = cleanup("run", str(sample_path), "--out-dir", str(out), "-q")
    assert result.returncode == 0, result.stderr
    return out / "zhiyuan2024-genmodel-p6-roundtable"


def test_four_outputs_exist(sample_run):
    for suffix in (".md", ".edits.json", ".diff", ".report.html"):
        assert sample_run.with_name(sample_run.name + suffix).stat().st_size > 0


def test_edit_log_replays_to_the_markdown_byte_for_byte(sample_run, sample_text):
    log = json.loads(sample_run.with_name(sample_run.name + ".edits.json").read_text(encoding="utf-8"))
    edits = [Edit.from_json(e) for e in log["edits"]]
    md = sample_run.with_name(sample_run.name + ".md").read_bytes()
    assert replay(sample_text, edits).encode("utf-8") == md
    assert log["source"]["encoding"] == "utf-8" and len(log["source"]["sha256"]) == 64
    assert {"normalize", "glossary", "punctuate", "speakers"} <= set(log["stages"])


def test_markdown_layout(sample_run):
    md = sample_run.with_name(sample_run.name + ".md").read_text(encoding="utf-8")
    title, *paragraphs = md.rstrip("\n").split("\n\n")
    assert title.startswith("# 2024北京智源大会")
    assert md.endswith("\n") and not md.endswith("\n\n")
    assert paragraphs and all(re.match(r"\*\*[^*]+\*\*：", p) for p in paragraphs)
    assert "![" not in md
    for fixed in ("最大似然", "自回归", "多模态"):
        assert fixed in md
    for wrong in ("最大自然", "自会规", "多么泰"):
        assert wrong not in md


def test_diff_is_readable(sample_run):
    diff = sample_run.with_name(sample_run.name + ".diff").read_text(encoding="utf-8")
    assert diff.startswith("--- ")
    assert any(line.startswith("-") and "最大自然" in line for line in diff.splitlines())
    assert any(line.startswith("+") and "最大似然" in line for line in diff.splitlines())
    assert max(len(line) for line in diff.splitlines()) < 400


def test_second_run_on_own_output_proposes_no_normalize_or_glossary_edits(sample_run, tmp_path):
    md = sample_run.with_name(sample_run.name + ".md")
    again = cleanup("run", str(md), "--out-dir", str(tmp_path), "--stages", "normalize,glossary", "-q")
    assert again.returncode == 0, again.stderr
    log = json.loads((tmp_path / (md.stem + ".edits.json")).read_text(encoding="utf-8"))
    assert log["edits"] == []


def test_input_is_never_modified(tmp_path, sample_path):
    copy = tmp_path / sample_path.name
    shutil.copy(sample_path, copy)
    before = copy.read_bytes()
    assert cleanup("run", str(copy), "--out-dir", str(tmp_path / "o"), "-q").returncode == 0
    assert copy.read_bytes() == before


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("missing.txt", None),
        ("adir", "dir"),
        ("empty.txt", b""),
        ("binary.txt", b"\x00\x01\x02PNG"),
        ("talk.pdf", "讲话".encode()),
        ("latin1.txt", "caf\xe9 na\xefve \xff\xfe".encode("latin-1")),
    ],
)
def test_bad_input_one_line_exit_2_no_outputs(tmp_path, name, content):
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    out = tmp_path / "out"
    result = cleanup("run", str(path), "--out-dir", str(out))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not out.exists()


def test_unknown_stage_is_refused(tmp_path, sample_path):
    result = cleanup("run", str(sample_path), "--stages", "normalize,nonsense", "-o", str(tmp_path))
    assert result.returncode == 2 and "nonsense" in result.stderr


def test_version_and_help():
    assert cleanup("--version").stdout.startswith("cleanup ")
    for command in (["--help"], ["run", "--help"], ["glossary", "--help"]):
        assert cleanup(*command).returncode == 0


def test_gbk_input_is_decoded_and_recorded(tmp_path, sample_text):
    path = tmp_path / "gbk.txt"
    path.write_bytes(sample_text[:3000].encode("gb18030"))
    assert cleanup("run", str(path), "-o", str(tmp_path), "-q").returncode == 0
    log = json.loads((tmp_path / "gbk.edits.json").read_text(encoding="utf-8"))
    assert log["source"]["encoding"] == "gb18030"


def test_glossary_suggest_ranks_unlisted_misrecognitions(tmp_path):
    talk = tmp_path / "talk.txt"
    talk.write_text("我们用多姆太大模型来做，就是多姆太的理解和生成，然后再做对齐。\n", encoding="utf-8")
    result = cleanup("glossary", "suggest", str(talk), "-n", "5")
    assert result.returncode == 0, result.stderr
    assert "多姆太" in result.stdout and "多模态" in result.stdout
    assert cleanup("glossary", "suggest", str(tmp_path / "missing.txt")).returncode == 2
