"""Croissant 1.1 JSON-LD for a converted dataset (metadata, files with sha256, record sets).

The original files and the Parquet conversion are both listed as ``cr:FileObject`` with their
sha256; each config is a ``cr:RecordSet`` whose fields read columns of that config's
Parquet files. ``version`` is the semantic version computed by
:mod:`nbopen.datasets.versioning`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from nbopen.config.env import CONFIG
from nbopen.datasets.models import Conversion, SplitResult
from nbopen.repos.models import Repository

MEDIA_TYPE = 'application/ld+json; profile="http://mlcommons.org/croissant/1.1"'
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
_MIME = {
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".json": "application/json",
    ".jsonl": "application/jsonlines",
    ".ndjson": "application/jsonlines",
    ".parquet": "application/x-parquet",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain",
}


def _data_type(feature: dict[str, Any]) -> str:
    dtype = str(feature.get("dtype", ""))
    if feature.get("_type") != "Value":
        return "sc:Text"
    if dtype.startswith(("int", "uint")):
        return "sc:Integer"
    if dtype.startswith(("float", "decimal")):
        return "sc:Float"
    if dtype == "bool":
        return "sc:Boolean"
    if dtype.startswith(("timestamp", "date")):
        return "sc:Date"
    return "sc:Text"


def parquet_url(repo: Repository, revision: str, split: SplitResult, filename: str) -> str:
    return (
        f"{CONFIG.public_url}/datasets-server/parquet-file/{repo.full_name}/{revision}/"
        f"{quote(split.config, safe='')}/{quote(split.split, safe='')}/{filename}"
    )


def build(repo: Repository, conversion: Conversion, splits: list[SplitResult]) -> dict[str, Any]:
    card = conversion.manifest.get("card", {})
    license_id = card.get("license")
    if isinstance(license_id, list):
        license_id = license_id[0] if license_id else None
    url = f"{CONFIG.public_url}/datasets/{repo.full_name}"
    distribution: list[dict[str, Any]] = [
        {
            "@type": "cr:FileObject",
            "@id": "repo",
            "name": "repo",
            "description": "The git repository of the dataset.",
            "contentUrl": url,
            "encodingFormat": "git+https",
        }
    ]
    for f in conversion.manifest.get("files", []):
        ext = "." + f["path"].rsplit(".", 1)[-1].lower() if "." in f["path"] else ""
        distribution.append(
            {
                "@type": "cr:FileObject",
                "@id": f["path"],
                "name": f["path"],
                "containedIn": {"@id": "repo"},
                "contentUrl": f"{url}/resolve/{conversion.revision}/{quote(f['path'])}",
                "contentSize": f"{f['size']} B",
                "encodingFormat": _MIME.get(ext, "application/octet-stream"),
                "sha256": f["sha256"],
            }
        )
    record_sets: dict[str, dict[str, Any]] = {}
    for split in splits:
        ids = []
        for f in split.files:
            file_id = f"parquet/{split.config}/{split.split}/{f['filename']}"
            ids.append(file_id)
            distribution.append(
                {
                    "@type": "cr:FileObject",
                    "@id": file_id,
                    "name": file_id,
                    "contentUrl": parquet_url(repo, conversion.revision, split, f["filename"]),
                    "contentSize": f"{f['size']} B",
                    "encodingFormat": "application/x-parquet",
                    "sha256": f["sha256"],
                }
            )
        rs = record_sets.setdefault(
            split.config,
            {
                "@type": "cr:RecordSet",
                "@id": split.config,
                "name": split.config,
                "description": f"{repo.full_name} - '{split.config}' subset",
                "field": [],
                "_sources": [],
            },
        )
        rs["_sources"].extend(ids)
        if not rs["field"]:
            rs["field"] = [
                {
                    "@type": "cr:Field",
                    "@id": f"{split.config}/{feat['name']}",
                    "name": f"{split.config}/{feat['name']}",
                    "description": f"Column '{feat['name']}' from the Parquet files.",
                    "dataType": _data_type(feat["type"]),
                    "source": {
                        "fileObject": {"@id": "__SOURCE__"},
                        "extract": {"column": feat["name"]},
                    },
                }
                for feat in split.features
            ]
    for rs in record_sets.values():
        sources = rs.pop("_sources")
        for field in rs["field"]:
            # One file: a fileObject source; several: a FileSet over the config's files.
            if len(sources) == 1:
                field["source"]["fileObject"] = {"@id": sources[0]}
            else:
                field["source"] = {
                    "fileSet": {"@id": f"parquet/{rs['name']}"},
                    "extract": field["source"]["extract"],
                }
        if len(sources) > 1:
            distribution.append(
                {
                    "@type": "cr:FileSet",
                    "@id": f"parquet/{rs['name']}",
                    "name": f"parquet/{rs['name']}",
                    "encodingFormat": "application/x-parquet",
                    "includes": f"parquet/{rs['name']}/*/*.parquet",
                }
            )
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": "http://mlcommons.org/croissant/1.1",
        "name": repo.name,
        "description": repo.description or card.get("pretty_name") or repo.full_name,
        "url": url,
        "creator": {
            "@type": "Organization" if repo.owner.organization_id else "Person",
            "name": repo.owner.name,
            "url": f"{CONFIG.public_url}/{repo.owner.name}",
        },
        "datePublished": repo.created_at.date().isoformat(),
        "dateModified": (conversion.finished_at or conversion.created_at).isoformat(),
        "version": conversion.version or "1.0.0",
        "keywords": [t for t in (repo.tags or []) if isinstance(t, str)],
        "distribution": distribution,
        "recordSet": list(record_sets.values()),
    }
    if isinstance(license_id, str) and license_id:
        doc["license"] = (
            f"https://spdx.org/licenses/{license_id}.html" if license_id != "other" else "other"
        )
    if "language" in card:
        doc["inLanguage"] = card["language"]
    return doc
