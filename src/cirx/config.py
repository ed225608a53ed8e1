"""Settings: every setting declared once, with its default and its help.

Settings are read when :meth:`Settings.from_env` is called, never at import.
Tests build ``Settings(database_url="sqlite:///tmp/x.db")`` directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from platformdirs import user_data_dir

from cirx.errors import ConfigurationError


def _default_data_dir() -> Path:
    return Path(user_data_dir("cirx", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """How one cirx platform is configured."""

    database_url: str = field(
        default="",
        metadata={
            "env": "CIRX_DATABASE_URL",
            "help": "SQLAlchemy URL of the store; empty means SQLite in the data directory.",
        },
    )
    data_dir: Path = field(
        default_factory=_default_data_dir,
        metadata={"env": "CIRX_DATA_DIR", "help": "Where the SQLite store and fetched datasets live."},
    )
    max_object_bytes: int = field(
        default=10 * 1024 * 1024,
        metadata={"env": "CIRX_MAX_OBJECT_BYTES", "help": "Largest single STIX object accepted, in bytes."},
    )
    batch_size: int = field(
        default=2000,
        metadata={"env": "CIRX_BATCH_SIZE", "help": "Objects written per database batch on import."},
    )
    validate_patterns: bool = field(
        default=True,
        metadata={"env": "CIRX_VALIDATE_PATTERNS", "help": "Check every indicator's STIX pattern on import."},
    )
    anonymous_read: bool = field(
        default=False,
        metadata={"env": "CIRX_ANONYMOUS_READ", "help": "Let callers without a token read TLP:CLEAR objects."},
    )
    max_bundle_objects: int = field(
        default=100_000,
        metadata={"env": "CIRX_MAX_BUNDLE_OBJECTS", "help": "Most objects accepted in one bundle over the API."},
    )
    max_request_bytes: int = field(
        default=100 * 1024 * 1024,
        metadata={"env": "CIRX_MAX_REQUEST_BYTES", "help": "Largest request body accepted over the API, in bytes."},
    )
    secret_key: str = field(
        default="",
        metadata={
            "env": "CIRX_SECRET_KEY",
            "help": "Fernet key that encrypts stored peer credentials; empty means a key file in the data directory.",
        },
    )
    fetch_base_url: str = field(
        default="",
        metadata={
            "env": "CIRX_FETCH_BASE_URL",
            "help": "Mirror that replaces the official dataset URLs (for air-gapped sites and tests).",
        },
    )

    @property
    def resolved_database_url(self) -> str:
        """The database URL to use: the configured one or the default SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'cirx.db'}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Read settings from environment variables, then apply explicit overrides."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for spec in fields(cls):
            name = spec.metadata.get("env")
            if name and name in env and env[name] != "":
                values[spec.name] = _coerce(spec.name, spec.type, env[name])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def documentation(cls) -> list[tuple[str, str, str]]:
        """(environment variable, default, help) for every setting."""
        rows = []
        for spec in fields(cls):
            default: object = spec.default
            if spec.name == "data_dir":
                default = "platform user data directory"
            rows.append((spec.metadata["env"], str(default), spec.metadata["help"]))
        return rows


def _coerce(name: str, kind: object, raw: str) -> object:
    kind_name = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    try:
        if kind_name == "int":
            return int(raw)
        if kind_name == "bool":
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if kind_name == "Path":
            return Path(raw).expanduser()
    except ValueError as exc:
        raise ConfigurationError(f"setting {name}: cannot read {raw!r} as {kind_name}") from exc
    return raw
