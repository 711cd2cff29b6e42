from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kiloglot.data import read_massive, resolve_massive_source

SHARED = Path(__file__).resolve().parents[2] / "shared"  # the team's data folder beside the checkout
ORACLE = SHARED / "data" / "massive" / "metric-oracle.jsonl"
SHARED_MASSIVE = SHARED / "data" / "massive" / "massive-1.1-train-dev.tar.gz"
if SHARED_MASSIVE.is_file():  # the tests read MASSIVE from ../shared unless told otherwise
    os.environ.setdefault("KILOGLOT_MASSIVE", str(SHARED_MASSIVE))


@pytest.fixture(scope="session")
def massive_path() -> Path:
    path = resolve_massive_source(download=False)
    assert path.exists(), f"MASSIVE not found at {path}: set KILOGLOT_MASSIVE"
    return path


@pytest.fixture(scope="session")
def small_corpus(massive_path: Path):
    """Real train/dev slices of three locales of different scripts (read once per session)."""
    data = read_massive(massive_path, ["en-US", "ja-JP", "sw-KE"], ["train", "dev"])
    train = [e for e in data if e.partition == "train" and int(e.id) % 4 == 0]
    dev = [e for e in data if e.partition == "dev"]
    return train, dev


@pytest.fixture(scope="session")
def trained_model(small_corpus, tmp_path_factory) -> Path:
    from kiloglot.nlu import registry

    train, dev = small_corpus
    parser = registry.create("linear", jobs=2, crf_iterations=25).fit(train, dev)
    path = tmp_path_factory.mktemp("models") / "linear"
    parser.save(path)
    return path


@pytest.fixture(scope="session")
def oracle_batches() -> list[dict]:
    assert ORACLE.is_file(), f"metric oracle missing at {ORACLE}"
    return [json.loads(line) for line in ORACLE.read_text(encoding="utf-8").splitlines()]


# A test that needs a trained model is slow (the fixtures train one per session or module); tests that
# train inline carry @pytest.mark.slow themselves. `make test-fast` runs the rest.
TRAINING_FIXTURES = {"trained_model", "scratch_model", "teacher", "neural_model", "second_model"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if TRAINING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
