# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase
from odoo.tools.translate import TranslationModuleReader

I18N = Path(__file__).resolve().parent.parent / "i18n"
LANGUAGES = ("hi", "es")


class TestTranslations(TransactionCase):
    """Hindi and Spanish speaking companies see the whole module in their
    language: every term Odoo's export lists must be translated."""

    def exported_terms(self):
        reader = TranslationModuleReader(self.env.cr, modules=["client_autoreg"])
        return {source for module, _t, _n, _r, source, _v, _c in reader
                if module == "client_autoreg" and source}

    def test_every_exported_term_is_translated_in_hindi_and_spanish(self):
        terms = self.exported_terms()
        self.assertGreater(len(terms), 300)
        for lang in LANGUAGES:
            with self.subTest(lang=lang):
                catalog = {entry.msgid: entry.msgstr
                           for entry in polib.pofile(str(I18N / f"{lang}.po"))
                           if not entry.obsolete and "fuzzy" not in entry.flags}
                missing = sorted(term for term in terms if not catalog.get(term))
                self.assertFalse(
                    missing,
                    f"{len(missing)} terms lack a {lang} translation in i18n/{lang}.po "
                    f"(export the .pot, msgmerge, translate), e.g. {missing[:5]}",
                )

    def test_placeholders_survive_translation(self):
        for lang in LANGUAGES:
            for entry in polib.pofile(str(I18N / f"{lang}.po")):
                if entry.msgstr:
                    self.assertEqual(
                        sorted(_placeholders(entry.msgid)), sorted(_placeholders(entry.msgstr)),
                        f"{lang}: {entry.msgid!r}",
                    )


def _placeholders(text):
    return re.findall(r"%\(\w+\)s|%[sd]", text)
