"""What digest a task's container runs, as ECS reports it (DescribeTasks containers[].imageDigest).

ECS resolves a container's image to a digest when the task starts, and that digest stays with the
task even when its tag is pushed again:
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html#deployment-container-image-stability
The sandbox resolves the same way, once, at task creation:
  * an image pinned as repo[:tag]@sha256:... runs that digest;
  * an ECR image (<account>.dkr.ecr.<region>.amazonaws.com/name:tag) runs what moto's ECR holds for the tag;
  * an image of a registry on loopback, or of a registry mapped with POST /_sandbox/config
    {"registries": {"docker.io": "http://127.0.0.1:PORT"}}, runs what that registry answers to
    HEAD /v2/<name>/manifests/<tag>;
  * anything else (no registry holds it) runs a deterministic stand-in: sha256 of the image string.
"""

from __future__ import annotations

import hashlib
import re
import urllib.request
from typing import Any

ECR_HOST = re.compile(r"^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])

REGISTRIES: dict[str, str] = {}


class RegistryDigests:
    """The sandbox extension (reset, configure, state) for POST /_sandbox/config {"registries": {...}}."""

    def reset(self) -> None:
        REGISTRIES.clear()

    def configure(self, args: dict[str, Any]) -> dict[str, Any]:
        if isinstance(args.get("registries"), dict):
            REGISTRIES.clear()
            REGISTRIES.update({str(k): str(v).rstrip("/") for k, v in args["registries"].items()})
        return self.state()

    def state(self) -> dict[str, Any]:
        return {"registries": dict(REGISTRIES)}


DIGESTS = RegistryDigests()


def split(image: str) -> tuple[str, str, str, str | None]:
    """(registry, path, tag, digest) as Docker reads a reference."""
    rest, _, digest = image.partition("@")
    slash = rest.rfind("/")
    colon = rest.find(":", slash + 1)
    name, tag = (rest[:colon], rest[colon + 1:]) if colon != -1 else (rest, "latest")
    first, _, remainder = name.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = "docker.io", name if "/" in name else f"library/{name}"
    return registry, path, tag, digest or None


def _is_loopback(registry: str) -> bool:
    host = registry.rsplit(":", 1)[0] if registry.count(":") == 1 else registry
    return host in ("localhost", "[::1]") or host.startswith("127.")


def _from_ecr(match: re.Match[str], path: str, tag: str) -> str | None:
    from moto.ecr.models import ecr_backends
    try:
        backend = ecr_backends[match.group(1)][match.group(2)]
    except KeyError:
        return None
    repository = backend.repositories.get(path)
    if repository is None:
        return None
    for image in repository.images:
        if tag in getattr(image, "image_tags", []):
            return image.get_image_digest()
    return None


def _from_registry(base: str, path: str, tag: str) -> str | None:
    request = urllib.request.Request(f"{base}/v2/{path}/manifests/{tag}", method="HEAD", headers={"Accept": ACCEPT})
    try:
        with urllib.request.urlopen(request, timeout=2) as answer:  # noqa: S310 (loopback only)
            return answer.headers.get("Docker-Content-Digest")
    except Exception:
        return None


def resolve(image: str | None) -> str | None:
    if not image:
        return None
    registry, path, tag, digest = split(image)
    if digest:
        return digest
    ecr = ECR_HOST.match(registry)
    found = None
    if ecr:
        found = _from_ecr(ecr, path, tag)
    elif registry in REGISTRIES:
        found = _from_registry(REGISTRIES[registry], path, tag)
    elif _is_loopback(registry):
        found = _from_registry(f"http://{registry}", path, tag)
    return found or "sha256:" + hashlib.sha256(image.encode()).hexdigest()


def on_task_created(task: Any) -> None:
    """Fixes each container's digest for the task's life, as ECS does when the task starts."""
    for container in getattr(task, "containers", []):
        container.image_digest = resolve(getattr(container, "image", None))
