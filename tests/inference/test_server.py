"""The web app through FastAPI's TestClient, with the tiny random model."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from slant.inference.predictor import Predictor
from slant.inference.server import STATIC, create_app

MAX_CHARS = 500
DRAFT = "The council rammed through a crippling tax hike.\n\nShares fell 12 percent on Tuesday. Why?"


@pytest.fixture(scope="module")
def predictor(tiny_model_dir):
    return Predictor.load(str(tiny_model_dir))


@pytest.fixture
def client(predictor):
    return TestClient(create_app(predictor, max_chars=MAX_CHARS))


def test_health_names_the_model_and_the_limit(client, tiny_model_dir):
    assert client.get("/health").json() == {"status": "ok", "model": str(tiny_model_dir), "max_chars": MAX_CHARS}


def test_techniques_lists_all_sixteen_with_definitions(client, predictor):
    techniques = client.get("/api/techniques").json()
    assert [t["id"] for t in techniques] == predictor.labels
    assert all(t["name"] and len(t["definition"]) > 40 for t in techniques)


def test_analyse_returns_sentences_with_offsets_scores_triggers_and_summary(client, predictor):
    body = client.post("/api/analyse", json={"text": DRAFT, "threshold": 0.0}).json()
    assert body["text_length"] == len(DRAFT)
    assert [s["text"] for s in body["sentences"]] == [
        "The council rammed through a crippling tax hike.", "Shares fell 12 percent on Tuesday.", "Why?"]
    for sentence in body["sentences"]:
        assert DRAFT[sentence["start"] : sentence["end"]] == sentence["text"]
        assert set(sentence["scores"]) == set(predictor.labels)
        assert set(sentence["labels"]) == set(predictor.labels)  # threshold 0 flags everything
        ranked = [sentence["scores"][label] for label in sentence["labels"]]
        assert ranked == sorted(ranked, reverse=True)
        assert set(sentence["triggers"]) == set(sentence["labels"])
        for triggers in sentence["triggers"].values():
            for trigger in triggers:
                assert DRAFT[trigger["start"] : trigger["end"]] == trigger["text"]
    assert body["summary"] == {"sentences": 3, "flagged": 3, "by_label": {label: 3 for label in predictor.labels}}


def test_analyse_matches_the_predictor_and_honours_labels_and_triggers_off(client, predictor):
    expected = predictor.analyse(DRAFT, threshold=0.5, only=["doubt", "slogans"])
    body = client.post("/api/analyse", json={
        "text": DRAFT, "threshold": 0.5, "labels": ["doubt", "slogans"], "triggers": False}).json()
    for got, want in zip(body["sentences"], expected.sentences):
        assert sorted(got["labels"]) == sorted(want.labels)
        assert set(got["labels"]) <= {"doubt", "slogans"}
        assert got["scores"] == pytest.approx(want.scores, abs=1e-4)
        assert got["triggers"] == {}


def test_default_thresholds_are_the_models(client, predictor):
    expected = predictor.analyse(DRAFT)
    body = client.post("/api/analyse", json={"text": DRAFT}).json()
    assert [sorted(s["labels"]) for s in body["sentences"]] == [sorted(s.labels) for s in expected.sentences]


def test_text_at_the_limit_is_accepted_and_over_it_gets_413_with_a_clear_message(client):
    assert client.post("/api/analyse", json={"text": "a" * MAX_CHARS}).status_code == 200
    response = client.post("/api/analyse", json={"text": "a" * (MAX_CHARS + 1)})
    assert response.status_code == 413
    assert response.json() == {"code": "E051", "detail": f"[E051] text has {MAX_CHARS + 1} characters, "
                                                         f"over the limit of {MAX_CHARS}"}


def test_oversized_bodies_are_refused_before_parsing_declared_or_streamed(client):
    huge = b'{"text": "' + b"a" * 10_000_000 + b'"}'
    response = client.post("/api/analyse", content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "E200"

    def chunks():  # no Content-Length: the limit is counted as the body arrives
        yield b'{"text": "'
        for _ in range(100):
            yield b"a" * 100_000
        yield b'"}'

    response = client.post("/api/analyse", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "E200"


@pytest.mark.parametrize(
    ("payload", "code"),
    [({"text": "   \n "}, "E050"), ({"text": "Fine.", "labels": ["no_such_technique"]}, "E010")],
)
def test_bad_requests_get_422_with_one_line_messages(client, payload, code):
    response = client.post("/api/analyse", json=payload)
    assert response.status_code == 422
    assert response.json()["code"] == code and "\n" not in response.json()["detail"]


@pytest.mark.parametrize("payload", [{"text": "x", "threshold": 1.5}, {"threshold": 0.5}, {"text": 3}])
def test_malformed_requests_get_422(client, payload):
    assert client.post("/api/analyse", json=payload).status_code == 422


def test_the_model_is_loaded_once_and_repeat_sentences_come_from_the_cache(predictor, monkeypatch):
    app = create_app(predictor, max_chars=MAX_CHARS)
    monkeypatch.setattr(Predictor, "load", lambda *a, **k: pytest.fail("the app loaded a model per request"))
    scored: list[str] = []
    classifier = predictor.classifier
    original = classifier.predict_proba
    monkeypatch.setattr(classifier, "predict_proba", lambda texts, **k: scored.extend(texts) or original(texts, **k))
    client = TestClient(app)
    first = client.post("/api/analyse", json={"text": DRAFT}).json()
    assert len(scored) == 3
    second = client.post("/api/analyse", json={"text": DRAFT + " A new sentence."}).json()
    assert scored[3:] == ["A new sentence."]
    assert second["sentences"][:3] == first["sentences"]


def test_the_page_and_its_files_are_served_with_a_strict_content_security_policy(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    for name in ("app.js", "style.css", "favicon.svg"):
        assert client.get(f"/static/{name}").status_code == 200


def test_the_page_fetches_nothing_from_elsewhere_and_never_parses_html_from_strings():
    for path in STATIC.iterdir():
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[\w.-]+\.\w", source.replace("http://www.w3.org/2000/svg", "")), path
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


def test_openapi_schema_describes_the_analyse_endpoint(client):
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/analyse"]["post"]
    assert {"200", "413", "422"} <= set(operation["responses"])
    request = schema["components"]["schemas"]["AnalyseRequest"]
    assert set(request["properties"]) == {"text", "threshold", "labels", "all_labels", "triggers", "any_language"}
    assert {"language", "warning"} <= set(schema["components"]["schemas"]["Analysis"]["properties"])
    assert request["required"] == ["text"]
    assert "/health" in schema["paths"]


def test_app_from_env_reads_the_model_and_limit(monkeypatch, tiny_model_dir):
    from slant.inference.server import app_from_env

    monkeypatch.setenv("SLANT_MODEL", str(tiny_model_dir))
    monkeypatch.setenv("SLANT_MAX_CHARS", "77")
    assert TestClient(app_from_env()).get("/health").json()["max_chars"] == 77


def test_concurrent_requests_get_their_own_sentences(predictor):
    """Many threads at once (as uvicorn's thread pool runs them) must not mix up drafts."""
    from concurrent.futures import ThreadPoolExecutor

    from slant.models.sentences import split_sentences

    client = TestClient(create_app(predictor, cache_sentences=0))
    drafts = [
        f"Draft {n} opens here. Mr. Smith paid ${n}.50 for it, i.e. too much! Did he? "
        f"The U.S. team won {n} games." for n in range(24)
    ]

    def sentences(text):
        body = client.post("/api/analyse", json={"text": text, "triggers": False}).json()
        return [(s["start"], s["end"], s["text"]) for s in body["sentences"]]

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(sentences, drafts))
    assert got == [[(s.start, s.end, s.text) for s in split_sentences(text)] for text in drafts]
