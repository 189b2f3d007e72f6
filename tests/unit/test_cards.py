"""README front matter → cardData and tags; bad YAML is reported, never raised."""

from __future__ import annotations

from nbopen.repos import cards


def test_model_card_tags_include_hardware_license_language() -> None:
    card = cards.parse_readme(
        "---\nlicense: mit\nlanguage: [zh]\nlibrary_name: transformers\n"
        "datasets: [nb/corpus]\nhardware: [Ascend, hygon, cpu]\n---\n# 模型\n"
    )
    assert card.errors == []
    assert card.data["license"] == "mit"
    assert card.tags == [
        "transformers",
        "zh",
        "dataset:nb/corpus",
        "license:mit",
        "hardware:ascend",
        "hardware:hygon-dcu",
        "hardware:cpu",
    ]
    assert card.license == "mit"


def test_dataset_card_prefixes_categories() -> None:
    card = cards.parse_readme(
        "---\ntask_categories: [translation]\nsize_categories: [n<1K]\nlanguage: en\n---\n",
        "dataset",
    )
    assert card.tags == ["task_categories:translation", "size_categories:n<1K", "language:en"]
    assert cards.tag_matches(card.tags, "language:en")


def test_invalid_yaml_and_non_mapping_are_errors_not_crashes() -> None:
    bad = cards.parse_readme("---\nlicense: [unclosed\n---\n")
    assert bad.errors and "line" in bad.errors[0] and bad.data == {}
    assert cards.parse_readme("---\n- a\n- b\n---\n").errors
    assert cards.parse_readme("---\n!!python/object:os.system ls\n---\n").errors
    assert cards.parse_readme("no front matter").errors == []


def test_unknown_hardware_is_a_warning_and_dates_stay_json() -> None:
    card = cards.parse_readme("---\nhardware: [abacus]\nreleased: 2024-05-01\n---\n")
    assert card.warnings and "abacus" in card.warnings[0]
    assert card.data["released"] == "2024-05-01"


# Issue 20: a few hundred bytes of aliases must not expand to gigabytes.
BOMB = "".join(
    f"{a}: &{a} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
    for p, a in zip(["", "a", "b", "c", "d", "e", "f", "g", "h"], "abcdefghi", strict=True)
)


def test_alias_bomb_is_refused_quickly_as_no_metadata() -> None:
    import time

    assert len(BOMB) < 400
    started = time.monotonic()
    card = cards.parse_readme(f"---\n{BOMB}license: mit\n---\n# x\n")
    assert time.monotonic() - started < 1.0
    assert card.data == {} and card.tags == []
    assert card.errors and "expands to more than" in card.errors[0]


def test_alias_anchor_depth_and_json_caps() -> None:
    many = "a: &a x\nb: [" + ", ".join(["*a"] * (cards.MAX_ALIASES + 1)) + "]\n"
    assert "aliases" in cards.parse_yaml(many).errors[0]
    anchors = "".join(f"k{i}: &a{i} v\n" for i in range(cards.MAX_ANCHORS + 1))
    assert "anchors" in cards.parse_yaml(anchors).errors[0]
    assert "deeper" in cards.parse_yaml("a: " + "[" * 80 + "]" * 80).errors[0]
    assert "refers to itself" in cards.parse_yaml("a: &x [*x]").errors[0]
    # A few aliases are fine and read as their values.
    ok = cards.parse_yaml("base: &b {license: mit}\nother: *b\nlicense: mit\n")
    assert ok.errors == [] and ok.data["other"] == {"license": "mit"}
