"""A synthetic STIX 2.1 bundle of indicators, written as a stream (never held in memory)."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

_KINDS = 8


def pattern(i: int) -> str:
    """The i-th synthetic pattern: a realistic mix of indicator styles."""
    digest = hashlib.sha256(str(i).encode()).hexdigest()
    kind = i % _KINDS
    if kind == 0:
        return f"[ipv4-addr:value = '{10 + i % 200}.{(i >> 8) % 256}.{(i >> 16) % 256}.{i % 256}']"
    if kind == 1:
        return f"[domain-name:value = 'c2-{digest[:10]}.example.net']"
    if kind == 2:
        return f"[url:value = 'http://{digest[:8]}.example.org/gate.php?id={i}']"
    if kind == 3:
        return f"[file:hashes.'SHA-256' = '{digest}']"
    if kind == 4:
        return f"[file:hashes.MD5 = '{digest[:32]}' OR file:name = 'invoice_{i}.exe']"
    if kind == 5:
        return f"[email-addr:value = 'user{i}@phish.example.com']"
    if kind == 6:
        return (f"[ipv4-addr:value = '192.0.2.{i % 256}'] FOLLOWEDBY "
                f"[domain-name:value = 'x{i}.example.com'] WITHIN 600 SECONDS")
    return f"[network-traffic:dst_ref.value = '203.0.113.{i % 256}' AND network-traffic:dst_port = {1024 + i % 60000}]"


def indicator(i: int) -> dict[str, object]:
    """The i-th synthetic indicator object."""
    ident = uuid.UUID(hashlib.md5(f"indicator-{i}".encode()).hexdigest(), version=4)
    return {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{ident}",
        "created": "2024-03-01T12:00:00.000Z", "modified": "2024-03-01T12:00:00.000Z",
        "name": f"Synthetic indicator {i}", "indicator_types": ["malicious-activity"],
        "pattern_type": "stix", "pattern": pattern(i), "valid_from": "2024-03-01T12:00:00Z",
    }


def write_bundle(path: Path, count: int) -> Path:
    """Write a bundle of ``count`` indicators to ``path`` (skipped if it already exists)."""
    if path.exists() and path.stat().st_size > 0:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as out:
        out.write('{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [\n')
        for i in range(count):
            if i:
                out.write(",\n")
            out.write(json.dumps(indicator(i)))
        out.write("\n]}\n")
    partial.rename(path)
    return path
