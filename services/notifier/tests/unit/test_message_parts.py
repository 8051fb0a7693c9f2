"""The blocks of a message file read into their forms: an author's mistake is named, text stays text."""

import pytest

from notifier.adapters import message_parts as parts


def test_facts_are_label_and_value_and_a_line_without_them_is_named():
    assert parts.facts("Access until: 24 December 2026, 00:30 (CET)\n\n") == [
        ("Access until", "24 December 2026, 00:30 (CET)")
    ]
    with pytest.raises(parts.PartError, match="a fact is `Label: value`"):
        parts.facts("Access until 24 December")


def test_a_button_is_exactly_one_web_link():
    assert parts.action(" [Export your data](https://app.example/export) ", "button") == parts.Action(
        "Export your data", "https://app.example/export"
    )
    assert parts.action("", "button") is None
    for wrong in (
        "Export your data",
        "[a](https://x.example) and [b](https://y.example)",
        "[run](javascript:alert(1))",
    ):
        with pytest.raises(parts.PartError, match="one link written"):
            parts.action(wrong, "button")


def test_html_escapes_text_and_only_web_links_become_anchors():
    html = parts.html(['<b>Hi</b> & [go](https://a.example/?x=1&y="2")\n- [no](javascript:alert(1))\n- two'])
    assert html == (
        '<p>&lt;b&gt;Hi&lt;/b&gt; &amp; <a href="https://a.example/?x=1&amp;y=&#34;2&#34;">go</a></p>\n'
        "<ul><li>[no](javascript:alert(1))</li><li>two</li></ul>"
    )


def test_the_preheader_is_cut_at_a_word():
    text = "word " * 40
    cut = parts.preheader(text)
    assert len(cut) <= parts.PREHEADER_LENGTH and cut.endswith("word…")
