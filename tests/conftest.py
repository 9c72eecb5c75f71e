from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "transcripts" / "raw" / "zhiyuan2024-genmodel-p6-roundtable.raw.txt"
CORPORA = REPO.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE
