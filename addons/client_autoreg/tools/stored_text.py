# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Texts kept as their English source and arguments, shown in the reader's language.

Why a message was held, or why a request went to someone, is written once
but read by staff in English, Hindi or Spanish. Such a text is built with
``_lt`` (a lazy translation), stored as JSON by :func:`to_json`, and turned
into the reader's language by :func:`to_text`. Plain strings (an error raised
by a library, say) are stored as they are and shown as they are.
"""

from odoo.tools.translate import LazyGettext, get_translation

MODULE = "client_autoreg"


def to_json(text):
    """A JSON-serialisable form of ``text`` (a lazy translation or a string)."""
    if not text:
        return False
    if not isinstance(text, LazyGettext):
        return {"text": str(text)}
    # LazyGettext keeps its parts in slots and offers no public accessor.
    source, args = text._source, text._args  # pylint: disable=protected-access
    if isinstance(args, dict):
        args = {key: _arg_to_json(value) for key, value in args.items()}
    else:
        args = [_arg_to_json(value) for value in args]
    return {"source": source, "args": args}


def _arg_to_json(value):
    return to_json(value) if isinstance(value, LazyGettext) else value


def to_text(data, lang):
    """``data`` (from :func:`to_json`) in the language ``lang``."""
    if not data:
        return False
    if "text" in data:
        return data["text"]
    args = data.get("args") or ()
    if isinstance(args, dict):
        args = {key: _arg_to_text(value, lang) for key, value in args.items()}
    else:
        args = tuple(_arg_to_text(value, lang) for value in args)
    return get_translation(MODULE, lang or "en_US", data["source"], args)


def _arg_to_text(value, lang):
    return to_text(value, lang) if isinstance(value, dict) else value
