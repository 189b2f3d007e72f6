"""Scan results, one row per content hash, and the per-owner "block secrets" setting."""

from __future__ import annotations

from django.db import models

from nbopen.accounts.models import Namespace


class ScanResult(models.Model):
    """What the scanners found in one file content.

    ``key`` is a content hash: the LFS sha256 for large files, the git blob id otherwise.
    Identical content pushed to many repositories (or many times) is scanned once, and the
    result says nothing about where the content lives: each reader sees it only through a
    repository they may read.
    """

    class Status(models.TextChoices):
        SAFE = "safe"  # the scanners that apply found nothing
        CAUTION = "caution"  # suspicious imports or a secret
        UNSAFE = "unsafe"  # dangerous imports or a virus
        ERROR = "error"  # a scanner failed (a limit, a malformed file)

    key = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices)
    pickle_scan = models.JSONField(null=True, blank=True)  # the Hub's pickleImportScan
    av_scan = models.JSONField(null=True, blank=True)  # the Hub's avScan (ClamAV configured)
    secrets = models.JSONField(default=list, blank=True)  # [{"line", "type"}], never values
    error = models.TextField(blank=True)
    scanned_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key}:{self.status}"


class SecretPolicy(models.Model):
    """An owner's (user's or organization's) choice to refuse pushes that contain secrets."""

    namespace = models.OneToOneField(
        Namespace, on_delete=models.CASCADE, related_name="secret_policy"
    )
    block_secrets = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.namespace_id}:{self.block_secrets}"
