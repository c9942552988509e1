from . import stored_text
