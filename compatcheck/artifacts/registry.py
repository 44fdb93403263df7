"""Images in a registry (`oci://host[:port]/repo[:tag|@digest]`), read with ORAS's Python
client (oras-py): the Docker registry API v2, the user's docker config for credentials
($DOCKER_CONFIG/config.json, ~/.docker/config.json, credential helpers), token or basic auth.

Like istio-agent (pkg/wasm/imagefetcher.go, 1.14+), HTTPS is tried first and plain HTTP only
when the server answers HTTPS with HTTP."""

from __future__ import annotations

import json
import logging
import os
import re

from .model import INDEX_TYPES, MANIFEST_ACCEPT, ArtifactError, Image, sha256_hex
from .select import image_from_manifest, pick_child

TIMEOUT = (5.0, 60.0)  # connect, read (seconds)
MANIFEST_CAP = 4 << 20
_REF = re.compile(r"^(?P<host>[^/]+)/(?P<repo>[^:@]+(?:/[^:@]+)*)(?::(?P<tag>[\w][\w.-]{0,127}))?"
                  r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")


def parse_ref(ref: str) -> tuple[str, str, str]:
    """(host, repository, tag or digest) of `oci://host/repo[:tag][@digest]`; no tag: latest."""
    body = ref[len("oci://"):] if ref.startswith("oci://") else ref
    m = _REF.match(body)
    if m is None or "." not in m["host"] and ":" not in m["host"] and m["host"] != "localhost":
        raise ArtifactError("not an image reference (want oci://HOST[:PORT]/REPO[:TAG|@sha256:DIGEST])")
    return m["host"], m["repo"], m["digest"] or m["tag"] or "latest"


def _client(host: str, insecure: bool, backend: str):
    import oras.provider
    import requests.adapters

    logging.getLogger("oras").setLevel(logging.CRITICAL)
    client = oras.provider.Registry(hostname=host, insecure=insecure, auth_backend=backend)

    class _Timeout(requests.adapters.HTTPAdapter):
        def send(self, request, **kwargs):
            kwargs["timeout"] = kwargs.get("timeout") or TIMEOUT
            return super().send(request, **kwargs)

    for prefix in ("http://", "https://"):
        client.session.mount(prefix, _Timeout())
    return client


def _ping(host: str):
    """GET /v2/ over HTTPS, else HTTP when the server speaks HTTP: (insecure, auth scheme)."""
    import requests

    for insecure in (False, True):
        url = f"{'http' if insecure else 'https'}://{host}/v2/"
        try:
            response = requests.get(url, timeout=TIMEOUT)
        except requests.exceptions.SSLError as exc:
            if not insecure and "wrong version number" in str(exc).lower():
                continue  # an HTTP server on an HTTPS request: istio-agent falls back too
            raise ArtifactError(f"TLS error talking to {host}: {_short(exc)}") from None
        except requests.exceptions.RequestException as exc:
            raise ArtifactError(f"cannot reach registry {host}: {_short(exc)}") from None
        challenge = response.headers.get("WWW-Authenticate", "")
        return insecure, "basic" if challenge.lower().startswith("basic") else "token"
    raise ArtifactError(f"cannot reach registry {host}")


def _short(exc: Exception) -> str:
    text = str(exc)
    m = re.search(r"\[Errno[^\]]*\] ([^'\")]+)", text) or re.search(r"Caused by (\w+)", text)
    return m.group(1).strip() if m else text[:160]


def _docker_configs() -> list[str]:
    configs = []
    if os.environ.get("DOCKER_CONFIG"):
        configs.append(os.path.join(os.environ["DOCKER_CONFIG"], "config.json"))
    return [c for c in configs if os.path.isfile(c)]


def _get(client, url: str, headers: dict, what: str):
    import requests

    try:
        # no retries with back-off (oras's decorator waits minutes on a dead registry)
        response = type(client).do_request.__wrapped__(client, url, "GET", headers=dict(headers),
                                                       stream=True)
    except requests.exceptions.RequestException as exc:
        raise ArtifactError(f"{what}: {_short(exc)}") from None
    except (ValueError, AttributeError):  # oras: no credentials to answer the challenge with
        raise ArtifactError(f"{what}: authentication required, and no credentials for "
                            f"{client.hostname} in the docker config ($DOCKER_CONFIG/config.json "
                            "or ~/.docker/config.json)") from None
    if response.status_code in (401, 403):
        raise ArtifactError(f"{what}: HTTP {response.status_code}: authentication required or "
                            "refused (credentials come from the docker config: $DOCKER_CONFIG "
                            "or ~/.docker/config.json)")
    if response.status_code != 200:
        raise ArtifactError(f"{what}: HTTP {response.status_code} {response.reason}")
    return response


def _body(response, cap: int, what: str) -> bytes:
    chunks, total = [], 0
    for chunk in response.iter_content(1 << 16):
        chunks.append(chunk)
        total += len(chunk)
        if total > cap:
            raise ArtifactError(f"{what}: larger than the {cap}-byte limit")
    return b"".join(chunks)


def pull(ref: str) -> Image:
    """The image at ``ref`` as the consumers resolve it (an index to its linux/amd64 child)."""
    import oras.container

    host, repo, reference = parse_ref(ref)
    insecure, backend = _ping(host)
    client = _client(host, insecure, backend)
    sep = "@" if reference.startswith("sha256:") else ":"
    container = oras.container.Container(f"{host}/{repo}{sep}{reference}", registry=host)
    client.auth.load_configs(container, configs=_docker_configs())
    scheme = "http" if insecure else "https"

    def manifest(reference: str) -> tuple[bytes, str]:
        url = f"{scheme}://{container.manifest_url(reference)}"
        response = _get(client, url, {"Accept": ", ".join(MANIFEST_ACCEPT)}, f"manifest {reference}")
        raw = _body(response, MANIFEST_CAP, f"manifest {reference}")
        return raw, response.headers.get("Content-Type", "").split(";")[0].strip()

    def read_blob(digest: str, cap: int) -> bytes:
        url = f"{scheme}://{container.get_blob_url(digest)}"
        data = _body(_get(client, url, {}, f"blob {digest}"), cap, f"blob {digest}")
        if digest.startswith("sha256:") and sha256_hex(data) != digest[7:]:
            raise ArtifactError(f"blob {digest}: content does not match its digest")
        return data

    raw, media_type = manifest(reference)
    index_digest = problem = None
    if media_type in INDEX_TYPES:
        index_digest = "sha256:" + sha256_hex(raw)
        child, problem = pick_child(json.loads(raw), ref)
        raw, media_type = manifest(child.get("digest", ""))
    return image_from_manifest(ref, "registry", raw, media_type, read_blob, index_digest, problem)
