"""Copyable code for the help pages and a repository's "Use this" box.

One place writes the commands people paste, so the help pages and every repository page give
the same ones. The endpoint is ``NBOPEN_PUBLIC_URL``, what the server hands to git and the Hub
clients. One exception: when that is a loopback address (``serve``'s default when the operator
set none) and the visitor reached the server some other way, the loopback address is useless to
them, so the commands use the scheme and host they came by. A configured public URL is never
replaced by a Host header, which a visitor or a proxy controls.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest

from nbopen.config.env import CONFIG

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Snippet:
    id: str
    title: str  # a tool's name: the same in every language
    code: str


def endpoint(request: HttpRequest | None = None, public_url: str | None = None) -> str:
    """The base URL the reader should give their clients (see the module docstring)."""
    base = (public_url or CONFIG.public_url).rstrip("/")
    if request is None or urlsplit(base).hostname not in LOOPBACK:
        return base
    try:
        host = request.get_host()
    except DisallowedHost:
        return base
    if not host or urlsplit(f"//{host}").hostname in LOOPBACK:
        return base
    return f"{request.scheme}://{host}"


def _py(env: str, base: str, body: str) -> str:
    return f'import os\nos.environ["{env}"] = "{base}"\n\n{body}'


def clone_url(base: str, full_name: str) -> str:
    return f"{base}/{full_name}.git"


def repository(full_name: str, repo_type: str, base: str) -> list[Snippet]:
    """Clone and download commands for one repository (``owner/name``) of a type."""
    # A dataset clones from /datasets/ (a model of the same name owns /{owner}/{name}).
    clone = clone_url(base, ("datasets/" if repo_type == "dataset" else "") + full_name)
    kind = ', repo_type="dataset"' if repo_type == "dataset" else ""
    cli_kind = " --repo-type dataset" if repo_type == "dataset" else ""
    snippets = [Snippet("use-git", "git", f"git clone {clone}")]
    if repo_type != "code":
        snippets[0] = Snippet("use-git", "git + git-lfs", f"git lfs install\ngit clone {clone}")
        snippets.append(
            Snippet(
                "use-hf",
                "huggingface_hub",
                _py(
                    "HF_ENDPOINT",
                    base,
                    "from huggingface_hub import snapshot_download\n\n"
                    f'path = snapshot_download("{full_name}"{kind})',
                ),
            )
        )
    if repo_type == "dataset":
        snippets.append(
            Snippet(
                "use-datasets",
                "datasets",
                _py(
                    "HF_ENDPOINT",
                    base,
                    f'from datasets import load_dataset\n\nds = load_dataset("{full_name}")',
                ),
            )
        )
    if repo_type == "model":
        snippets.append(
            Snippet(
                "use-modelscope",
                "ModelScope",
                _py(
                    "MODELSCOPE_ENDPOINT",
                    base,
                    "from modelscope import snapshot_download\n\n"
                    f'path = snapshot_download("{full_name}")',
                ),
            )
        )
    if repo_type != "code":
        snippets.append(
            Snippet(
                "use-cli",
                "nbopen",
                f"nbopen download {full_name}{cli_kind} --endpoint {base}",
            )
        )
    return snippets


def getting_started(username: str, base: str) -> dict[str, Snippet]:
    """The getting-started guide's commands, with the reader's endpoint and name filled in."""
    me = username or "USERNAME"
    model = f"{me}/my-model"
    dataset = f"{me}/my-dataset"
    items = [
        Snippet(
            "git-clone",
            "git",
            f"git clone {base}/{me}/my-code.git\ncd my-code\ngit push origin main",
        ),
        Snippet(
            "git-credentials",
            "git",
            f"git config --global credential.{base}.username {me}\n"
            "git config --global credential.helper store",
        ),
        Snippet(
            "git-lfs",
            "git-lfs",
            "git lfs install\n"
            f"git clone {base}/{model}.git\n"
            "cd my-model\n"
            'git lfs track "*.safetensors" "*.bin" "*.parquet"\n'
            "git add .gitattributes model.safetensors\n"
            'git commit -m "Add weights"\n'
            "git push origin main",
        ),
        Snippet(
            "hf-env",
            "shell",
            f"export HF_ENDPOINT={base}\nexport HF_TOKEN=YOUR_TOKEN",
        ),
        Snippet(
            "hf-python",
            "huggingface_hub",
            _py(
                "HF_ENDPOINT",
                base,
                "from huggingface_hub import HfApi, snapshot_download\n\n"
                'api = HfApi(token="YOUR_TOKEN")\n'
                f'api.create_repo("{model}", exist_ok=True)\n'
                f'api.upload_folder(repo_id="{model}", folder_path="./my-model")\n'
                f'path = snapshot_download("{model}")',
            ),
        ),
        Snippet(
            "datasets",
            "datasets",
            _py(
                "HF_ENDPOINT",
                base,
                "from datasets import load_dataset\n\n"
                f'ds = load_dataset("{dataset}")\n'
                f'ds.push_to_hub("{dataset}", token="YOUR_TOKEN")',
            ),
        ),
        Snippet(
            "modelscope",
            "ModelScope",
            _py(
                "MODELSCOPE_ENDPOINT",
                base,
                "from modelscope import snapshot_download\n"
                "from modelscope.hub.snapshot_download import dataset_snapshot_download\n\n"
                f'model_dir = snapshot_download("{model}")\n'
                f'data_dir = dataset_snapshot_download("{dataset}")',
            ),
        ),
        Snippet(
            "cli",
            "nbopen",
            f"nbopen login --endpoint {base} --token YOUR_TOKEN\n"
            f"nbopen download {model}\n"
            f"nbopen download {dataset} --repo-type dataset --local-dir ./data\n"
            f'nbopen upload {model} ./my-model -m "First upload"',
        ),
        Snippet(
            "curl-token",
            "curl",
            f'curl -H "Authorization: Bearer YOUR_TOKEN" {base}/api/whoami-v2',
        ),
        Snippet(
            "viewer-filter",
            "curl",
            f"curl -G {base}/datasets-server/filter \\\n"
            f"  --data-urlencode dataset={dataset} \\\n"
            "  --data-urlencode config=default --data-urlencode split=train \\\n"
            "  --data-urlencode \"where=aqi > 100 AND station IN ('镇海', '北仑')\" \\\n"
            '  --data-urlencode "orderby=date DESC" --data-urlencode length=20',
        ),
        Snippet(
            "ops-postgres",
            "shell",
            "export NBOPEN_DATABASE_URL=postgres://nbopen:SECRET@db.internal:5432/nbopen\n"
            "export NBOPEN_STORAGE_URL='s3://nbopen-lfs/objects?endpoint=http://minio.internal:9000&region=us-east-1'\n"
            "export NBOPEN_S3_ACCESS_KEY=... NBOPEN_S3_SECRET_KEY=...\n"
            f"export NBOPEN_PUBLIC_URL={base}\n"
            "nbopen serve --host 0.0.0.0 --port 8000",
        ),
        Snippet(
            "ops-worker",
            "shell",
            "export NBOPEN_TASKS=celery NBOPEN_BROKER_URL=amqp://nbopen:SECRET@mq.internal:5672//\n"
            "nbopen serve --host 0.0.0.0 --port 8000\n"
            "nbopen worker --concurrency 4",
        ),
        Snippet(
            "ops-spark",
            "shell",
            "pip install 'nbopen[spark]'\n"
            "export NBOPEN_ANALYTICS_ENGINE=spark NBOPEN_SPARK_MASTER=spark://spark.internal:7077\n"
            "nbopen analytics compute --engine spark",
        ),
        Snippet(
            "ops-backup",
            "shell",
            "pg_dump --format=custom nbopen > nbopen-$(date +%F).dump\n"
            'tar -czf nbopen-data-$(date +%F).tar.gz -C "$NBOPEN_DATA_DIR" .',
        ),
    ]
    return {s.id: s for s in items}
