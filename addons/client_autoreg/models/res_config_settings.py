# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Intake's settings, on the Helpdesk settings screen.

Every system parameter intake reads is a field here, with its default
defined once (``PARAMETERS``) and read through ``_autoreg_param``.
"""

from odoo import api, fields, models

# name: (type, default) of the system parameters client_autoreg.<name>
PARAMETERS = {
    "spam_score_threshold": (float, 5.0),
    "web_rate_limit": (int, 10),
    "web_rate_window": (int, 10),
    "web_max_upload_mb": (float, 10.0),
    "mail_authserv_ids": (str, ""),
    "mail_unauthenticated": (str, "mailbox"),
    # retention, in days (0: keep); see models/autoreg_retention.py
    "retention_registered_days": (int, 180),
    "retention_spam_days": (int, 30),
    "retention_review_days": (int, 90),
    "retention_telegram_days": (int, 180),
    "retention_consent_days": (int, 365),
    "retention_duplicate_days": (int, 90),
    # erasure (models/autoreg_erasure.py): how long blocked data is kept,
    # and what a customer's confirmed portal request does
    "erasure_block_days": (int, 1825),
    "erasure_portal_mode": (str, "dpo"),
    # outgoing mail (models/mail_mail.py): how long a temporary failure is
    # retried (hours, 0: never, as Odoo), and the first retry's delay (seconds)
    "mail_retry_hours": (int, 48),
    "mail_retry_delay": (int, 60),
}


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    autoreg_spam_score_threshold = fields.Float(
        string="Spam score threshold",
        config_parameter="client_autoreg.spam_score_threshold",
        default=PARAMETERS["spam_score_threshold"][1],
        help="Mail whose upstream spam score (X-Spam-Score, X-Rspamd-Score, "
        "X-Spam-Status) reaches this value is filed as spam.",
    )
    autoreg_mail_authserv_ids = fields.Char(
        string="Your mail servers (authserv-id)",
        config_parameter="client_autoreg.mail_authserv_ids",
        help="The names your own receiving mail servers write first in the "
        "Authentication-Results header (RFC 8601), separated by commas, e.g. "
        "mx.example.com. Only these headers are read: a sender or another "
        "server can write any other. Empty: no header is trusted.",
    )
    autoreg_mail_unauthenticated = fields.Selection(
        selection=[
            ("mailbox", "Match known addresses (servers that add no results)"),
            ("review", "Hold for review"),
        ],
        string="Mail without authentication results",
        config_parameter="client_autoreg.mail_unauthenticated",
        default=PARAMETERS["mail_unauthenticated"][1],
        help="Mail that carries no Authentication-Results of your servers: "
        "matched to contacts whose address is known, as Odoo does (the address "
        "is then not proven, and never links a chat or an account), or held "
        "for the reviewer.",
    )
    autoreg_web_rate_limit = fields.Integer(
        string="Website posts per address",
        config_parameter="client_autoreg.web_rate_limit",
        default=PARAMETERS["web_rate_limit"][1],
        help="How many forms one network address may post within the window "
        "below; more are refused with a request to try again later.",
    )
    autoreg_web_rate_window = fields.Integer(
        string="Rate limit window (minutes)",
        config_parameter="client_autoreg.web_rate_window",
        default=PARAMETERS["web_rate_window"][1],
    )
    autoreg_web_max_upload_mb = fields.Float(
        string="Largest website file (MB)",
        config_parameter="client_autoreg.web_max_upload_mb",
        default=PARAMETERS["web_max_upload_mb"][1],
        help="Files attached to a website form may be at most this large.",
    )
    autoreg_retention_registered_days = fields.Integer(
        string="Raw messages registered (days)",
        config_parameter="client_autoreg.retention_registered_days",
        default=PARAMETERS["retention_registered_days"][1],
        help="After this many days the raw message, its text and files kept by "
        "intake are erased; the request keeps what the helpdesk keeps. 0: keep.",
    )
    autoreg_retention_spam_days = fields.Integer(
        string="Spam and ignored messages (days)",
        config_parameter="client_autoreg.retention_spam_days",
        default=PARAMETERS["retention_spam_days"][1],
        help="Deleted after this many days. 0: keep.",
    )
    autoreg_retention_review_days = fields.Integer(
        string="Messages never reviewed (days)",
        config_parameter="client_autoreg.retention_review_days",
        default=PARAMETERS["retention_review_days"][1],
        help="Messages still waiting for a reviewer are deleted after this many days. 0: keep.",
    )
    autoreg_retention_telegram_days = fields.Integer(
        string="Telegram messages sent (days)",
        config_parameter="client_autoreg.retention_telegram_days",
        default=PARAMETERS["retention_telegram_days"][1],
        help="The bot's sent messages (the outbox) are deleted after this many days; "
        "the request's chatter keeps the staff replies. 0: keep.",
    )
    autoreg_retention_consent_days = fields.Integer(
        string="Consents refused or never confirmed (days)",
        config_parameter="client_autoreg.retention_consent_days",
        default=PARAMETERS["retention_consent_days"][1],
        help="Confirmed consents are kept while the subscription lasts (they prove "
        "it); the others are deleted after this many days. 0: keep.",
    )
    autoreg_retention_duplicate_days = fields.Integer(
        string="Duplicates merged or dismissed (days)",
        config_parameter="client_autoreg.retention_duplicate_days",
        default=PARAMETERS["retention_duplicate_days"][1],
        help="Deleted after this many days. 0: keep.",
    )
    autoreg_double_optin = fields.Boolean(
        related="company_id.autoreg_double_optin", readonly=False
    )
    autoreg_privacy_notice_url = fields.Char(
        related="company_id.autoreg_privacy_notice_url", readonly=False
    )
    autoreg_erasure_block_days = fields.Integer(
        string="Blocked data kept (days)",
        config_parameter="client_autoreg.erasure_block_days",
        default=PARAMETERS["erasure_block_days"][1],
        help="How long data blocked at a person's request is kept, hidden from all but "
        "the data-protection officer, before it is destroyed (LOPDGDD art. 32: the "
        "limitation periods of the claims it may be needed for).",
    )
    autoreg_erasure_portal_mode = fields.Selection(
        selection=[
            ("dpo", "The data-protection officer decides"),
            ("block", "Block at once"),
            ("erase", "Erase at once"),
        ],
        string="Erasure asked from the portal",
        config_parameter="client_autoreg.erasure_portal_mode",
        default=PARAMETERS["erasure_portal_mode"][1],
        help="What a customer's erasure request does once they confirmed it by the "
        "link sent to their address.",
    )
    autoreg_allowed_count = fields.Integer(compute="_compute_autoreg_rule_counts")
    autoreg_blocked_count = fields.Integer(compute="_compute_autoreg_rule_counts")
    autoreg_review_count = fields.Integer(compute="_compute_autoreg_rule_counts")

    @api.depends("company_id")
    def _compute_autoreg_rule_counts(self):
        Rule = self.env["autoreg.sender.rule"]
        counts = dict(Rule._read_group([("company_id", "=", self.env.company.id)],
                                       ["action"], ["__count"]))
        to_review = self.env["autoreg.inbound"].search_count([("state", "=", "review")])
        for settings in self:
            settings.autoreg_allowed_count = counts.get("allow", 0)
            settings.autoreg_blocked_count = counts.get("block", 0)
            settings.autoreg_review_count = to_review

    @api.model
    def _autoreg_param(self, name):
        """The value of the intake setting ``name``, or its default when it
        is unset or unreadable."""
        kind, default = PARAMETERS[name]
        # sudo: settings are read by intake for every visitor and sender
        value = self.env["ir.config_parameter"].sudo().get_param(f"client_autoreg.{name}")
        try:
            return kind(value) if value not in (None, False, "") else default
        except ValueError:
            return default
