"""Readable labels for Hub-style tags (``task_categories:image-classification`` → "Task
category: Image classification"), in the reader's language.

Cards keep the machine form (the Hub API and the listing filters match on it); pages show a
label for the prefixes and task names people meet every day and the raw value otherwise.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

PREFIX_LABELS: dict[str, Any] = {
    "task_categories": _("Task category"),
    "task_ids": _("Task"),
    "pipeline_tag": _("Task"),
    "size_categories": _("Size"),
    "language": _("Language"),
    "multilinguality": _("Multilinguality"),
    "source_datasets": _("Source data"),
    "annotations_creators": _("Annotations by"),
    "language_creators": _("Text by"),
    "modality": _("Modality"),
    "format": _("Format"),
    "dataset": _("Dataset"),
    "base_model": _("Base model"),
    "license": _("Licence"),
    "hardware": _("Hardware"),
    "domain": _("Domain"),
    "library": _("Library"),
    "region": _("Region"),
}

TASK_LABELS: dict[str, Any] = {
    "text-classification": _("Text classification"),
    "token-classification": _("Token classification"),
    "question-answering": _("Question answering"),
    "translation": _("Translation"),
    "summarization": _("Summarization"),
    "text-generation": _("Text generation"),
    "fill-mask": _("Fill mask"),
    "sentence-similarity": _("Sentence similarity"),
    "feature-extraction": _("Feature extraction"),
    "zero-shot-classification": _("Zero-shot classification"),
    "image-classification": _("Image classification"),
    "object-detection": _("Object detection"),
    "image-segmentation": _("Image segmentation"),
    "image-to-text": _("Image to text"),
    "text-to-image": _("Text to image"),
    "visual-question-answering": _("Visual question answering"),
    "depth-estimation": _("Depth estimation"),
    "automatic-speech-recognition": _("Speech recognition"),
    "audio-classification": _("Audio classification"),
    "text-to-speech": _("Text to speech"),
    "time-series-forecasting": _("Time series forecasting"),
    "time-series-classification": _("Time series classification"),
    "tabular-classification": _("Tabular classification"),
    "tabular-regression": _("Tabular regression"),
    "reinforcement-learning": _("Reinforcement learning"),
}

MODALITY_LABELS: dict[str, Any] = {
    "text": _("Text"),
    "image": _("Image"),
    "audio": _("Audio"),
    "video": _("Video"),
    "tabular": _("Tabular"),
    "timeseries": _("Time series"),
    "time-series": _("Time series"),
    "geospatial": _("Geospatial"),
}

_TASK_PREFIXES = {"task_categories", "task_ids", "pipeline_tag"}

# README front-matter keys shown on the card (the rest keep their own names).
CARD_KEYS: dict[str, Any] = {
    **PREFIX_LABELS,
    "license": _("Licence"),
    "library_name": _("Library"),
    "tags": _("Tags"),
    "datasets": _("Datasets"),
    "metrics": _("Metrics"),
    "pretty_name": _("Name"),
}


def card_key(key: str) -> Any:
    return CARD_KEYS.get(key, key)


def card_value(key: str, value: str) -> Any:
    """One value of a card field: task and modality names get their label."""
    if key in _TASK_PREFIXES:
        return task_label(value)
    if key == "modality":
        return MODALITY_LABELS.get(value, value)
    return value


def task_label(value: str) -> Any:
    return TASK_LABELS.get(value, value)


def tag_parts(tag: str) -> tuple[Any, Any]:
    """(prefix label or None, value label) for one tag; unknown prefixes stay as they are."""
    prefix, sep, value = tag.partition(":")
    if not sep or prefix not in PREFIX_LABELS or not value:
        return None, TASK_LABELS.get(tag, tag)
    if prefix in _TASK_PREFIXES:
        return PREFIX_LABELS[prefix], task_label(value)
    if prefix == "modality":
        return PREFIX_LABELS[prefix], MODALITY_LABELS.get(value, value)
    return PREFIX_LABELS[prefix], value


# The dataset viewer's column types: Arrow/Hub dtypes and the statistics' column kinds.
DTYPE_LABELS: dict[str, Any] = {
    "string": _("Text"),
    "large_string": _("Text"),
    "int8": _("Integer"),
    "int16": _("Integer"),
    "int32": _("Integer"),
    "int64": _("Integer"),
    "uint8": _("Integer"),
    "uint16": _("Integer"),
    "uint32": _("Integer"),
    "uint64": _("Integer"),
    "float16": _("Decimal number"),
    "float32": _("Decimal number"),
    "float64": _("Decimal number"),
    "double": _("Decimal number"),
    "bool": _("Yes/no"),
    "date32": _("Date"),
    "date64": _("Date"),
    "Image": _("Image"),
    "Sequence": _("List"),
    "list": _("List"),
    "ClassLabel": _("Category"),
    "struct": _("Record"),
    "binary": _("Binary"),
    "large_binary": _("Binary"),
}

KIND_LABELS: dict[str, Any] = {
    "int": _("whole numbers"),
    "float": _("numbers"),
    "bool": _("yes/no"),
    "class_label": _("categories"),
    "string_label": _("categories"),
    "string_text": _("free text"),
    "list": _("lists"),
    "image": _("images"),
    "audio": _("audio"),
    "datetime": _("date and time"),
}


def column_type(dtype: str, kind: str = "") -> str:
    """A column's type for people: "Text · categories" rather than ``string · string_label``.
    Unknown types keep their machine name, so nothing is hidden."""
    base = dtype.split("[", 1)[0]
    if base.startswith("timestamp"):
        name: Any = _("Date and time")
    elif base.startswith("decimal"):
        name = _("Decimal number")
    else:
        name = DTYPE_LABELS.get(base, dtype)
    if not kind:
        return str(name)
    detail = KIND_LABELS.get(kind, kind)
    return f"{name} · {detail}"
