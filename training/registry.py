"""The MLflow model registry as Slant uses it: every trained model is a version of one registered
model, and the alias `champion` marks the one that serves (`models:/slant@champion`).

Each promotion is appended to the registered model's `champion_history` tag, so `rollback` can
undo the last promotion (and the one before, and so on) even after the alias was moved by hand.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from slant.models.errors import SlantError

CHAMPION = "champion"
HISTORY_TAG = "champion_history"
HISTORY_KEEP = 100  # promotions remembered; registry tag values are limited in size
# Run metrics of versions trained by `slant train`, shown when no retrain tags exist.
RUN_METRICS = ("test_micro_f1", "test_macro_f1", "gold_test_micro_f1")


@dataclass(frozen=True)
class VersionInfo:
    version: str
    aliases: tuple[str, ...]
    created: float  # seconds since the epoch
    run_id: str
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def created_text(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.created))


class Registry:
    """List, promote and roll back versions of one registered model."""

    def __init__(self, name: str = "slant", alias: str = CHAMPION, client: MlflowClient | None = None):
        self.name = name
        self.alias = alias
        self.client = client or MlflowClient()

    @property
    def uri(self) -> str:
        """Where the registry is (for messages)."""
        return mlflow.get_registry_uri()

    @property
    def champion_uri(self) -> str:
        return f"models:/{self.name}@{self.alias}"

    def version_uri(self, version: str) -> str:
        return f"models:/{self.name}/{version}"

    # -- reading ----------------------------------------------------------------------
    def exists(self) -> bool:
        try:
            self.client.get_registered_model(self.name)
            return True
        except MlflowException as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                return False
            raise

    def champion(self) -> str | None:
        """The version the alias points at, or None (no registered model or no alias yet)."""
        if not self.exists():
            return None
        version = self.client.get_registered_model(self.name).aliases.get(self.alias)
        return str(version) if version is not None else None

    def versions(self) -> list[VersionInfo]:
        """All versions, newest first, with their aliases, retrain tags and key run metrics."""
        self._require()
        found, token = [], None
        while True:
            page = self.client.search_model_versions(f"name='{self.name}'", page_token=token)
            found.extend(page)
            token = page.token
            if not token:
                break
        # Version search results leave `aliases` empty on some stores; the model's map is complete.
        aliases: dict[str, list[str]] = {}
        for alias, version in (self.client.get_registered_model(self.name).aliases or {}).items():
            aliases.setdefault(str(version), []).append(alias)
        infos = []
        for version in sorted(found, key=lambda v: int(v.version), reverse=True):
            metrics = self._run_metrics(version.run_id)
            infos.append(VersionInfo(
                version=str(version.version),
                aliases=tuple(sorted(aliases.get(str(version.version), ()))),
                created=version.creation_timestamp / 1000,
                run_id=version.run_id or "",
                metrics=metrics,
                tags=dict(version.tags or {}),
            ))
        return infos

    def history(self) -> list[str]:
        tags = self.client.get_registered_model(self.name).tags or {}
        return [str(v) for v in json.loads(tags.get(HISTORY_TAG, "[]"))]

    # -- moving the alias ------------------------------------------------------------
    def promote(self, version: str, reason: str = "promoted by hand") -> str | None:
        """Point the alias at `version`; returns the previous champion (None if there was none)."""
        version = str(version)
        self._require_version(version)
        previous = self.champion()
        history = self.history()
        if previous and (not history or history[-1] != previous):
            history.append(previous)  # the alias was moved outside Slant; remember where it was
        if not history or history[-1] != version:
            history.append(version)
        self.client.set_registered_model_alias(self.name, self.alias, version)
        self._save_history(history)
        self.client.set_model_version_tag(self.name, version, "promoted_at", _now())
        self.client.set_model_version_tag(self.name, version, "promotion_reason", reason)
        return previous

    def rollback(self, reason: str = "rolled back by hand") -> tuple[str, str]:
        """Undo the last promotion: the alias goes back to the champion before; returns (from, to)."""
        self._require()
        current = self.champion()
        if current is None:
            raise SlantError("E303", name=self.name, reason=f"it has no @{self.alias} version")
        history = self.history()
        while history and history[-1] == current:
            history.pop()
        while history and not self._has_version(history[-1]):
            history.pop()  # a deleted version cannot come back
        if not history:
            raise SlantError("E303", name=self.name, reason=f"no champion before version {current} in its history")
        target = history[-1]
        self.client.set_registered_model_alias(self.name, self.alias, target)
        self._save_history(history)
        self.client.set_model_version_tag(self.name, current, "rolled_back_at", _now())
        self.client.set_model_version_tag(self.name, current, "rollback_reason", reason)
        return current, target

    def tag(self, version: str, tags: dict[str, object]):
        for key, value in tags.items():
            self.client.set_model_version_tag(self.name, str(version), key, str(value))

    # -- helpers ---------------------------------------------------------------------
    def _require(self):
        if not self.exists():
            raise SlantError("E304", name=self.name, uri=self.uri)

    def _has_version(self, version: str) -> bool:
        try:
            self.client.get_model_version(self.name, version)
            return True
        except MlflowException as error:
            if error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                return False
            raise

    def _require_version(self, version: str):
        self._require()
        if not self._has_version(version):
            raise SlantError("E302", name=self.name, version=version)

    def _save_history(self, history: list[str]):
        self.client.set_registered_model_tag(self.name, HISTORY_TAG, json.dumps(history[-HISTORY_KEEP:]))

    def _run_metrics(self, run_id: str | None) -> dict[str, float]:
        if not run_id:
            return {}
        try:
            metrics = self.client.get_run(run_id).data.metrics
        except MlflowException:
            return {}  # the run was deleted; the version still lists
        return {key: metrics[key] for key in RUN_METRICS if key in metrics}


def key_metrics(info: VersionInfo) -> str:
    """One line of the scores that matter: retrain's fixed evaluation set, else the training run's."""
    if "eval.micro_f1" in info.tags:
        return (f"micro F1 {float(info.tags['eval.micro_f1']):.3f}, macro F1 {float(info.tags['eval.macro_f1']):.3f}"
                f" on eval {info.tags.get('eval.digest', '?')}")
    parts = [f"{key.replace('_f1', ' F1').replace('_', ' ')} {value:.3f}" for key, value in info.metrics.items()]
    return ", ".join(parts) or "-"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
