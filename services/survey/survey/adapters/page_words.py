"""The words of the leaving customer's own page, in English and German (a language is a dictionary here with
the same keys; tests/unit/test_customer_page.py fails when one is missing a key the other has)."""

from typing import Any

from survey.domain.customer_page import HELP_MESSAGE_LIMIT

WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "language_name": "English",
        "switch_to": "Deutsch",
        "page_title": "Your cancellation",
        "heading": {
            "active": "Your {plan} subscription is cancelled",
            "paused": "Your {plan} subscription is cancelled",
            "access_ended": "Your access to {plan} has ended",
            "reactivated": "Welcome back",
            "erased": "Your personal data has been deleted",
        },
        "lead": {
            "active": "Nothing more will be charged. Until your access ends, everything works as before.",
            "paused": "Our team is looking into your account, so the emails about your cancellation are on hold. "
            "Your dates below have not changed.",
            "access_ended": "Your access ended on {access_end}. What you created is still kept until the date "
            "below, and you can still come back.",
            "reactivated": "Your subscription is active again since {reactivated}. Everything is as you left it, "
            "and nothing on this page applies any more. We are glad to have you back.",
            "erased": "Your access ended on {access_end} and, as announced, your personal data was deleted on "
            "{erased}. This page keeps only the dates; nothing about you is stored here any more.",
        },
        "dates_title": "Key dates",
        "cancelled_on": "Cancelled on",
        "access_until": "Access until",
        "access_ended_on": "Access ended on",
        "reactivated_on": "Active again since",
        "deleted_on": "Personal data deleted on",
        "deleted_was": "Personal data was deleted on",
        "days": {
            "past": "{n} days ago",
            "yesterday": "yesterday",
            "today": "today",
            "tomorrow": "tomorrow",
            "future": "in {n} days",
        },
        "data_title": "Your data",
        "data_text": "What you created is yours. Download a copy of all of it before {until}; after that date "
        "your personal data is deleted for good.",
        "data_text_no_deletion": "What you created is yours. You can download a copy of all of it at any time "
        "while your account exists.",
        "export": "Export your data",
        "way_back_title": "Changed your mind?",
        "way_back_text": "You can come back at any time, before or after your access ends; while we still keep "
        "your data, it is there as you left it.",
        "way_back": "Reactivate my subscription",
        "payment_title": "Your payment did not go through",
        "payment_text": "Your subscription ended because we could not collect the payment. Update your payment "
        "details and it starts again, with everything as you left it.",
        "payment": "Update my payment details",
        "survey_title": "Tell us why you left",
        "survey_intro": "Four short questions, about two minutes. It is optional and changes nothing about your "
        "cancellation.",
        "survey_done": "Thank you for answering our survey. We read every answer.",
        "survey_thanks": "Thank you: your answer has reached us.",
        "help_title": "Need help?",
        "help_intro": "Tell us what you need and how to reach you. A person from our team answers, usually within "
        "two working days.",
        "help_manager": "Your account manager, {manager}, looks after your account and will hear of it.",
        "help_call": "Book a hand-over call",
        "help_sent": "We got your request of {when} about “{topic}”. We will reach you by {reach}, usually within "
        "two working days.",
        "help_open": "Ask for help",
        "help_another": "Ask for something else",
        "help_topic": "What do you need help with?",
        "help_topics": {
            "data_export": "My data and its export",
            "billing": "Billing and refunds",
            "access": "Access and login",
            "come_back": "Coming back",
            "other": "Something else",
        },
        "help_message": "What should we know?",
        "help_message_hint": f"Optional, up to {HELP_MESSAGE_LIMIT} characters.",
        "help_reach": "How should we reach you?",
        "help_reach_by": {"email": "By email, at the address we write to", "phone": "By phone"},
        "help_phone": "Phone number (only if by phone)",
        "help_submit": "Send my request",
        "help_errors": {
            "topic": "Choose what you need help with.",
            "message": f"Keep it to {HELP_MESSAGE_LIMIT} characters.",
            "reach_by": "Choose how we should reach you.",
            "phone": "Give a phone number we can call, e.g. +49 30 1234567.",
        },
        "contact_title": "Emails from us after you leave",
        "contact_yes": "You agreed to hear from us: now and then we may email you an offer to come back.",
        "contact_no": "We will not send you offers. You only get the emails about your cancellation and your data.",
        "contact_legend": "May we email you offers after you leave?",
        "contact_choice": {"yes": "Yes, now and then", "no": "No offers, please"},
        "contact_submit": "Save my choice",
        "contact_saved": "Your choice is saved. You can change it here at any time.",
        "contact_error": "Choose yes or no.",
        "help_after_erasure": "Questions? Write to",
        "reach": {"email": "email", "phone": "phone"},
        "fix": "Please check these answers:",
        "privacy": "Privacy policy",
        "unknown": (
            "We could not find this page",
            ["The link may be incomplete. Please open it again from one of our emails, or copy the whole address."],
        ),
        "expired": (
            "This page is no longer available",
            ["The page about your cancellation was kept for a while after its last date and has now been removed."],
        ),
        "too_large": ("That was too long", ["Please go back, shorten what you wrote and send it again."]),
        "too_many": (
            "One moment, please",
            ["This page was asked for very often in a short time. Please try again in a minute."],
        ),
    },
    "de": {
        "language_name": "Deutsch",
        "switch_to": "English",
        "page_title": "Ihre Kündigung",
        "heading": {
            "active": "Ihr {plan}-Abonnement ist gekündigt",
            "paused": "Ihr {plan}-Abonnement ist gekündigt",
            "access_ended": "Ihr Zugang zu {plan} ist beendet",
            "reactivated": "Willkommen zurück",
            "erased": "Ihre personenbezogenen Daten wurden gelöscht",
        },
        "lead": {
            "active": "Es wird nichts mehr abgebucht. Bis Ihr Zugang endet, funktioniert alles wie gewohnt.",
            "paused": "Unser Team kümmert sich gerade um Ihr Konto, deshalb ruhen die E-Mails zu Ihrer Kündigung. "
            "Ihre Termine unten haben sich nicht geändert.",
            "access_ended": "Ihr Zugang endete am {access_end}. Was Sie erstellt haben, bleibt bis zum Datum unten "
            "erhalten, und Sie können jederzeit zurückkommen.",
            "reactivated": "Ihr Abonnement ist seit dem {reactivated} wieder aktiv. Alles ist so, wie Sie es "
            "verlassen haben, und nichts auf dieser Seite gilt mehr. Schön, dass Sie wieder da sind.",
            "erased": "Ihr Zugang endete am {access_end}, und wie angekündigt wurden Ihre personenbezogenen Daten am "
            "{erased} gelöscht. Diese Seite zeigt nur noch die Termine; über Sie ist hier nichts mehr gespeichert.",
        },
        "dates_title": "Wichtige Termine",
        "cancelled_on": "Gekündigt am",
        "access_until": "Zugang bis",
        "access_ended_on": "Zugang endete am",
        "reactivated_on": "Wieder aktiv seit",
        "deleted_on": "Personenbezogene Daten gelöscht am",
        "deleted_was": "Personenbezogene Daten gelöscht am",
        "days": {
            "past": "vor {n} Tagen",
            "yesterday": "gestern",
            "today": "heute",
            "tomorrow": "morgen",
            "future": "in {n} Tagen",
        },
        "data_title": "Ihre Daten",
        "data_text": "Was Sie erstellt haben, gehört Ihnen. Laden Sie bis zum {until} eine Kopie von allem "
        "herunter; danach werden Ihre personenbezogenen Daten endgültig gelöscht.",
        "data_text_no_deletion": "Was Sie erstellt haben, gehört Ihnen. Sie können jederzeit eine Kopie von allem "
        "herunterladen, solange Ihr Konto besteht.",
        "export": "Daten exportieren",
        "way_back_title": "Doch anders entschieden?",
        "way_back_text": "Sie können jederzeit zurückkommen, vor oder nach dem Ende Ihres Zugangs; solange wir Ihre "
        "Daten noch haben, sind sie so da, wie Sie sie verlassen haben.",
        "way_back": "Abonnement wieder aktivieren",
        "payment_title": "Ihre Zahlung ist nicht durchgegangen",
        "payment_text": "Ihr Abonnement endete, weil wir die Zahlung nicht einziehen konnten. Aktualisieren Sie "
        "Ihre Zahlungsdaten, und es geht weiter, mit allem, wie Sie es verlassen haben.",
        "payment": "Zahlungsdaten aktualisieren",
        "survey_title": "Sagen Sie uns, warum Sie gehen",
        "survey_intro": "Vier kurze Fragen, etwa zwei Minuten. Freiwillig, und es ändert nichts an Ihrer Kündigung.",
        "survey_done": "Danke, dass Sie an unserer Umfrage teilgenommen haben. Wir lesen jede Antwort.",
        "survey_thanks": "Danke: Ihre Antwort ist bei uns angekommen.",
        "help_title": "Brauchen Sie Hilfe?",
        "help_intro": "Sagen Sie uns, was Sie brauchen und wie wir Sie erreichen. Eine Person aus unserem Team "
        "antwortet, meist innerhalb von zwei Werktagen.",
        "help_manager": "Ihr Ansprechpartner, {manager}, betreut Ihr Konto und erfährt davon.",
        "help_call": "Übergabegespräch buchen",
        "help_sent": "Wir haben Ihre Anfrage vom {when} zu „{topic}“ erhalten. Wir melden uns per {reach}, meist "
        "innerhalb von zwei Werktagen.",
        "help_open": "Um Hilfe bitten",
        "help_another": "Etwas anderes anfragen",
        "help_topic": "Wobei brauchen Sie Hilfe?",
        "help_topics": {
            "data_export": "Meine Daten und ihr Export",
            "billing": "Abrechnung und Erstattungen",
            "access": "Zugang und Anmeldung",
            "come_back": "Zurückkommen",
            "other": "Etwas anderes",
        },
        "help_message": "Was sollten wir wissen?",
        "help_message_hint": f"Freiwillig, bis zu {HELP_MESSAGE_LIMIT} Zeichen.",
        "help_reach": "Wie sollen wir Sie erreichen?",
        "help_reach_by": {"email": "Per E-Mail, an die Adresse, an die wir schreiben", "phone": "Per Telefon"},
        "help_phone": "Telefonnummer (nur bei Telefon)",
        "help_submit": "Anfrage senden",
        "help_errors": {
            "topic": "Wählen Sie, wobei Sie Hilfe brauchen.",
            "message": f"Bitte höchstens {HELP_MESSAGE_LIMIT} Zeichen.",
            "reach_by": "Wählen Sie, wie wir Sie erreichen sollen.",
            "phone": "Geben Sie eine Telefonnummer an, z. B. +49 30 1234567.",
        },
        "contact_title": "E-Mails von uns nach Ihrem Abschied",
        "contact_yes": "Sie haben zugestimmt: Ab und zu schicken wir Ihnen vielleicht ein Angebot zur Rückkehr.",
        "contact_no": "Wir schicken Ihnen keine Angebote, nur die E-Mails zu Ihrer Kündigung und Ihren Daten.",
        "contact_legend": "Dürfen wir Ihnen nach Ihrem Abschied Angebote per E-Mail schicken?",
        "contact_choice": {"yes": "Ja, ab und zu", "no": "Bitte keine Angebote"},
        "contact_submit": "Auswahl speichern",
        "contact_saved": "Ihre Auswahl ist gespeichert. Sie können sie hier jederzeit ändern.",
        "contact_error": "Wählen Sie Ja oder Nein.",
        "help_after_erasure": "Fragen? Schreiben Sie an",
        "reach": {"email": "E-Mail", "phone": "Telefon"},
        "fix": "Bitte prüfen Sie diese Angaben:",
        "privacy": "Datenschutz",
        "unknown": (
            "Wir finden diese Seite nicht",
            [
                "Der Link ist vielleicht unvollständig. Öffnen Sie ihn bitte erneut aus einer unserer E-Mails oder "
                "kopieren Sie die ganze Adresse."
            ],
        ),
        "expired": (
            "Diese Seite gibt es nicht mehr",
            [
                "Die Seite zu Ihrer Kündigung wurde nach ihrem letzten Termin noch eine Weile aufbewahrt und ist "
                "nun entfernt."
            ],
        ),
        "too_large": (
            "Das war zu lang",
            ["Bitte gehen Sie zurück, kürzen Sie Ihren Text und senden Sie ihn erneut."],
        ),
        "too_many": (
            "Einen Moment bitte",
            ["Diese Seite wurde in kurzer Zeit sehr oft aufgerufen. Bitte versuchen Sie es in einer Minute erneut."],
        ),
    },
}
