"""docs/customer-experience.md stays true: its catalogue is what the templates say now, and it shows a
screenshot of every shipped message in every language, of the page in each state, of the survey and the
console, each committed under docs/images/."""

import re

from .experience import DOCUMENT, IMAGES, catalogue, document_catalogue, images


def test_the_catalogue_is_what_the_templates_say():
    assert document_catalogue(DOCUMENT.read_text()) == catalogue(), (
        "docs/customer-experience.md is stale: run `make docs-experience` and commit it"
    )


def test_every_message_page_state_and_screen_is_shown_and_committed():
    shown = set(re.findall(r"\]\(images/([^)]+\.png)\)", DOCUMENT.read_text()))
    expected = set(images())
    assert expected - shown == set(), "screenshots the document does not show yet"
    assert shown - expected == set(), "screenshots the document shows that no test makes"
    missing = sorted(name for name in shown if not (IMAGES / name).is_file())
    assert missing == [], "run `make test`, then `make docs-experience`, and commit docs/images/"
