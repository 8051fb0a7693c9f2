"""The customer's pages: the survey form and the short pages around it, in English and German, under the
company's brand (shared/brand.py: the same settings as the emails').

Rendered by Jinja2 with autoescaping, so whatever a customer typed is shown back as text, never as markup.
"""

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from shared.brand import Brand
from survey.domain.answers import COMMENT_LIMIT, OTHER_LIMIT, REASONS

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

TEXTS: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Why did you leave?",
        "intro": "Four short questions, about two minutes. We read every answer. It is optional and changes nothing "
        "about your cancellation.",
        "fix": "Please check these answers:",
        "reason_question": "What is the main reason you cancelled?",
        "reasons": {
            "too_expensive": "It is too expensive",
            "missing_features": "Features I need are missing",
            "hard_to_use": "It is hard to use",
            "bugs_or_reliability": "Bugs or unreliable service",
            "poor_support": "Support did not help me",
            "billing_problem": "A problem with billing",
            "switched_competitor": "I switched to another product",
            "no_longer_needed": "I no longer need it",
            "temporary": "Only for now, I may be back",
            "other": "Something else",
        },
        "other_label": "If something else: in a few words",
        "score_question": "How likely are you to recommend us to a friend or colleague?",
        "score_hint": "0 means not at all likely, 10 extremely likely.",
        "comment_label": "What could we have done better?",
        "comment_hint": f"Optional, up to {COMMENT_LIMIT} characters.",
        "may_contact": "You may contact me about my answer.",
        "submit": "Send my answer",
        "what_happens": "What happens with your answer: our team reads it. Your reason and score are counted "
        "without your name to decide what we improve; your comment is deleted with your other personal data. "
        "We write to you only if you allow it above.",
        "privacy": "Privacy policy",
        "errors": {
            "reason": "Choose the main reason.",
            "reason_other": f"Tell us the reason in a few words (at most {OTHER_LIMIT} characters).",
            "score": "Choose a number from 0 to 10.",
            "comment": f"Keep it to {COMMENT_LIMIT} characters.",
        },
        "thanks": ("Thank you", ["Your answer has reached us. We read every one, and it helps us do better."]),
        "contact": {
            True: "You allowed us to contact you: a person from our team will write to you about your answer, "
            "usually within a few working days.",
            False: "We will not contact you about it. Your reason and score count without your name; your "
            "comment is deleted with your other personal data.",
        },
        "answered": (
            "Already answered",
            ["This survey has been answered already; each survey takes one answer. Thank you for your time."],
        ),
        "expired": (
            "This survey has closed",
            ["The link was valid for a limited time and has expired. Thank you all the same."],
        ),
        "unknown": (
            "We could not find this survey",
            ["The link may be incomplete. Please open it again from the email, or copy the whole address."],
        ),
        "cross_site": (
            "This form was not sent from our page",
            ["It was not taken. Please open the link in the email and use the form there."],
        ),
    },
    "de": {
        "title": "Warum sind Sie gegangen?",
        "intro": "Vier kurze Fragen, etwa zwei Minuten. Wir lesen jede Antwort. Die Umfrage ist freiwillig und "
        "ändert nichts an Ihrer Kündigung.",
        "fix": "Bitte prüfen Sie diese Angaben:",
        "reason_question": "Was ist der wichtigste Grund für Ihre Kündigung?",
        "reasons": {
            "too_expensive": "Es ist zu teuer",
            "missing_features": "Mir fehlen Funktionen",
            "hard_to_use": "Es ist schwer zu bedienen",
            "bugs_or_reliability": "Fehler oder unzuverlässiger Dienst",
            "poor_support": "Der Support hat mir nicht geholfen",
            "billing_problem": "Ein Problem mit der Abrechnung",
            "switched_competitor": "Ich nutze ein anderes Produkt",
            "no_longer_needed": "Ich brauche es nicht mehr",
            "temporary": "Nur vorübergehend, vielleicht komme ich zurück",
            "other": "Etwas anderes",
        },
        "other_label": "Wenn etwas anderes: in wenigen Worten",
        "score_question": "Wie wahrscheinlich ist es, dass Sie uns Freunden oder Kollegen empfehlen?",
        "score_hint": "0 bedeutet überhaupt nicht wahrscheinlich, 10 äußerst wahrscheinlich.",
        "comment_label": "Was hätten wir besser machen können?",
        "comment_hint": f"Freiwillig, bis zu {COMMENT_LIMIT} Zeichen.",
        "may_contact": "Sie dürfen mich zu meiner Antwort kontaktieren.",
        "submit": "Antwort senden",
        "what_happens": "Was mit Ihrer Antwort geschieht: Unser Team liest sie. Grund und Bewertung zählen ohne "
        "Ihren Namen, wenn wir entscheiden, was wir verbessern; Ihr Kommentar wird mit Ihren übrigen "
        "personenbezogenen Daten gelöscht. Wir schreiben Ihnen nur, wenn Sie es oben erlauben.",
        "privacy": "Datenschutz",
        "errors": {
            "reason": "Wählen Sie den wichtigsten Grund.",
            "reason_other": f"Nennen Sie den Grund in wenigen Worten (höchstens {OTHER_LIMIT} Zeichen).",
            "score": "Wählen Sie eine Zahl von 0 bis 10.",
            "comment": f"Bitte höchstens {COMMENT_LIMIT} Zeichen.",
        },
        "thanks": (
            "Vielen Dank",
            ["Ihre Antwort ist bei uns angekommen. Wir lesen jede, und sie hilft uns, besser zu werden."],
        ),
        "contact": {
            True: "Sie haben erlaubt, dass wir Sie kontaktieren: Ein Mensch aus unserem Team schreibt Ihnen zu "
            "Ihrer Antwort, meist innerhalb weniger Werktage.",
            False: "Wir kontaktieren Sie dazu nicht. Grund und Bewertung zählen ohne Ihren Namen; Ihr Kommentar "
            "wird mit Ihren übrigen personenbezogenen Daten gelöscht.",
        },
        "answered": (
            "Bereits beantwortet",
            ["Diese Umfrage wurde schon beantwortet; jede Umfrage nimmt eine Antwort an. Danke für Ihre Zeit."],
        ),
        "expired": (
            "Diese Umfrage ist geschlossen",
            ["Der Link war begrenzt gültig und ist abgelaufen. Trotzdem vielen Dank."],
        ),
        "unknown": (
            "Wir finden diese Umfrage nicht",
            [
                "Der Link ist vielleicht unvollständig. Öffnen Sie ihn bitte "
                "erneut aus der E-Mail oder kopieren Sie die ganze Adresse."
            ],
        ),
        "cross_site": (
            "Dieses Formular wurde nicht von unserer Seite gesendet",
            ["Es wurde nicht angenommen. Bitte öffnen Sie den Link aus der E-Mail und nutzen Sie das Formular dort."],
        ),
    },
}

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)


def environment() -> Environment:
    """The service's page templates (the survey's and the customer page's share the base and the form)."""
    return _env


def language(locale: str | None) -> str:
    base = (locale or "en").replace("_", "-").split("-")[0].lower()
    return base if base in TEXTS else "en"


def form_page(
    locale: str | None,
    action: str,
    *,
    brand: Brand,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> str:
    lang = language(locale)
    return _env.get_template("form.html.j2").render(
        locale=lang,
        t=TEXTS[lang],
        brand=brand,
        action=action,
        reasons=REASONS,
        values=values or {},
        errors=errors or {},
        comment_limit=COMMENT_LIMIT,
        other_limit=OTHER_LIMIT,
    )


def message_page(locale: str | None, which: str, *, brand: Brand, may_contact: bool | None = None) -> str:
    """A short page (thanks, answered, expired, unknown, cross_site); the thanks says what happens next, contact
    or not."""
    lang = language(locale)
    title, paragraphs = TEXTS[lang][which]
    if which == "thanks" and may_contact is not None:
        paragraphs = [*paragraphs, TEXTS[lang]["contact"][may_contact]]
    return _env.get_template("message.html.j2").render(
        locale=lang, t=TEXTS[lang], brand=brand, title=title, paragraphs=paragraphs
    )


def field_errors(locale: str | None, fields: set[str]) -> dict[str, str]:
    messages = TEXTS[language(locale)]["errors"]
    return {field: messages.get(field, messages["reason"]) for field in sorted(fields)}
