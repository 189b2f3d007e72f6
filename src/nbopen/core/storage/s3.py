"""Objects in an S3-compatible bucket (MinIO, Ceph, OSS, COS, AWS).

URL form: ``s3://BUCKET/PREFIX?endpoint=http://host:9000&region=us-east-1``; keys come from
``NBOPEN_S3_ACCESS_KEY`` / ``NBOPEN_S3_SECRET_KEY`` (or the AWS_* variables). Downloads are
answered with presigned URLs so object bytes never pass through Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import parse_qs, urlsplit

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from nbopen.config.env import CONFIG
from nbopen.core.storage.base import KEY_RE, object_key


class S3Storage:
    def __init__(self, *, bucket: str, prefix: str, endpoint: str | None, region: str) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=CONFIG.s3_access_key,
            aws_secret_access_key=CONFIG.s3_secret_key,
            config=BotoConfig(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    @classmethod
    def from_url(cls, url: str) -> S3Storage:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        return cls(
            bucket=parts.netloc,
            prefix=parts.path,
            endpoint=query["endpoint"][0] if query.get("endpoint") else None,
            region=(query.get("region") or [CONFIG.s3_region])[0] or CONFIG.s3_region,
        )

    def _key(self, oid: str) -> str:
        key = object_key(oid)
        return f"{self.prefix}/{key}" if self.prefix else key

    def size(self, oid: str) -> int | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(oid))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        return int(head["ContentLength"])

    def put_verified(self, oid: str, source: Path) -> None:
        # upload_file switches to multipart for large files; the object appears atomically.
        self.client.upload_file(str(source), self.bucket, self._key(oid))
        source.unlink(missing_ok=True)

    def open(self, oid: str) -> BinaryIO:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(oid))["Body"]
        except ClientError as exc:
            raise FileNotFoundError(oid) from exc
        return cast(BinaryIO, body)

    def local_path(self, oid: str) -> Path | None:
        return None

    def download_url(self, oid: str, *, expires: int, filename: str | None = None) -> str | None:
        params: dict[str, str] = {"Bucket": self.bucket, "Key": self._key(oid)}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return str(
            self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)
        )

    def delete(self, oid: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(oid))

    def abort_stale_uploads(self, *, started_before: float) -> int:
        """Abort multipart uploads under this prefix begun before ``started_before`` (epoch
        seconds): what a process killed inside ``put_verified`` leaves in the bucket, unseen
        and billed. Returns how many were aborted."""
        prefix = f"{self.prefix}/" if self.prefix else ""
        aborted = 0
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            for upload in page.get("Uploads", []):
                if upload["Initiated"].timestamp() >= started_before:
                    continue
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
                aborted += 1
        return aborted

    def oids(self) -> Iterator[str]:
        prefix = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                match = KEY_RE.match(item["Key"][len(prefix) :])
                if match:
                    yield match.group(3)
