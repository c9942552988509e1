# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The notices a consent is given on, versioned (GDPR art. 7(1): the
company must be able to show what the person agreed to).

A notice is the exact wording shown to the person, for a mailing list, a
channel and a language (each may be left empty: it then applies to all).
Its text never changes once a consent points to it: a new wording is a new
version. Each consent records the notice and version current when it was
given (``autoreg.consent._record``).
"""

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class AutoregConsentNotice(models.Model):
    _name = "autoreg.consent.notice"
    _description = "Consent Notice"
    _order = "mailing_list_id, channel_id, lang, version desc"

    name = fields.Char(compute="_compute_name", store=True)
    mailing_list_id = fields.Many2one(
        comodel_name="mailing.list", string="Mailing list", ondelete="restrict",
        help="Empty: every list.",
    )
    channel_id = fields.Many2one(
        comodel_name="helpdesk.ticket.channel", string="Channel", ondelete="restrict",
        help="Empty: every channel.",
    )
    lang = fields.Selection(
        selection="_selection_lang", string="Language", help="Empty: every language."
    )
    version = fields.Integer(readonly=True, default=1)
    text = fields.Text(
        string="Notice", required=True,
        help="Exactly what the person reads before agreeing: what is sent, how often, "
        "who sends it, and how to withdraw (one click in every message, /stop in "
        "Telegram, STOP by email).",
    )
    active = fields.Boolean(default=True)
    consent_count = fields.Integer(compute="_compute_consent_count", string="Consents")
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, default=lambda self: self.env.company
    )

    @api.model
    def _selection_lang(self):
        return self.env["res.lang"].get_installed()

    @api.depends("mailing_list_id", "channel_id", "lang", "version")
    def _compute_name(self):
        for notice in self:
            parts = [notice.mailing_list_id.name or _("All lists"),
                     notice.channel_id.name or _("all channels"), notice.lang or _("all languages")]
            notice.name = _("%(scope)s, version %(version)s",
                            scope=" / ".join(parts), version=notice.version)

    def _compute_consent_count(self):
        counts = dict(self.env["autoreg.consent"]._read_group(
            [("notice_id", "in", self.ids)], ["notice_id"], ["__count"]))
        for notice in self:
            notice.consent_count = counts.get(notice, 0)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            previous = self.with_context(active_test=False).search([
                ("mailing_list_id", "=", vals.get("mailing_list_id") or False),
                ("channel_id", "=", vals.get("channel_id") or False),
                ("lang", "=", vals.get("lang") or False),
                ("company_id", "=", vals.get("company_id") or self.env.company.id),
            ], order="version desc", limit=1)
            vals["version"] = previous.version + 1
        return super().create(vals_list)

    def write(self, vals):
        scope = {"text", "mailing_list_id", "channel_id", "lang"}
        if scope & set(vals) and self.env["autoreg.consent"].sudo().search_count(
                [("notice_id", "in", self.ids)], limit=1):
            raise UserError(_(
                "Consents were given on this notice: its wording is their proof and "
                "cannot change. Create a new version instead."
            ))
        return super().write(vals)

    @api.model
    def _current(self, mailing_list, channel, lang, company):
        """The notice in force for ``mailing_list`` on ``channel`` in
        ``lang``: the most specific one, its latest version."""
        # sudo: the doors record consents for visitors, who read no notices
        notices = self.sudo().search([
            ("mailing_list_id", "in", [mailing_list.id, False]),
            ("channel_id", "in", [channel.id, False]),
            ("lang", "in", [lang or False, False]),
            ("company_id", "=", company.id),
        ])
        if not notices:
            return notices
        best = max(notices, key=lambda notice: (
            bool(notice.mailing_list_id), bool(notice.channel_id), bool(notice.lang),
            notice.version,
        ))
        return best.with_env(self.env)


class AutoregTelegramChat(models.Model):
    _inherit = "autoreg.telegram.chat"

    def _texts(self, number=""):
        """The bot says what it stores and links the privacy notice in its
        first message (the greeting) and when asked (``/privacy``)."""
        texts = super()._texts(number=number)
        lang = self._lang()
        env = self.with_context(lang=lang).env
        company = self.bot_id.company_id.with_context(lang=lang)
        privacy = env._(
            "We keep your name, your phone number, your messages and their files to "
            "answer your requests, and your newsletter consent if you give it. "
            "Send /stop to stop the newsletter, /privacy to read this again."
        )
        url = company._autoreg_privacy_notice_url()
        if url:
            privacy += "\n" + env._("Our privacy notice: %(url)s", url=url)
        texts["privacy"] = privacy
        texts["greeting"] = f"{texts['greeting']}\n\n{privacy}"
        return texts
