# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    autoreg_spam_score_threshold = fields.Float(
        string="Spam score threshold",
        config_parameter="client_autoreg.spam_score_threshold",
        default=5.0,
        help="Mail whose upstream spam score (X-Spam-Score, X-Rspamd-Score, "
        "X-Spam-Status) reaches this value is filed as spam.",
    )
    autoreg_double_optin = fields.Boolean(
        related="company_id.autoreg_double_optin", readonly=False
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
