# The channel doors (Telegram webhook, website forms) live here; each only
# translates its protocol into an ``autoreg.inbound`` and hands it over.
from . import telegram
from . import website_form
from . import consent
from . import portal
from . import booking
from . import privacy
