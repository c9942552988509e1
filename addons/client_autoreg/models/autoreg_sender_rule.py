# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError

# Mail providers anyone can get an address from: allowing one of these domains
# would let every stranger in, so only single addresses of them are approved.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com",
        "yahoo.com", "yahoo.co.in", "yahoo.co.uk", "yahoo.es", "ymail.com", "rocketmail.com",
        "outlook.com", "hotmail.com", "hotmail.es", "live.com", "msn.com",
        "icloud.com", "me.com", "mac.com",
        "aol.com",
        "proton.me", "protonmail.com", "pm.me",
        "gmx.com", "gmx.net", "gmx.de", "gmx.es", "web.de", "mail.com",
        "yandex.com", "yandex.ru", "mail.ru",
        "rediffmail.com", "zoho.com", "zohomail.in",
        "tutanota.com", "fastmail.com", "qq.com", "163.com",
    }
)


def is_public_mail_domain(domain):
    """Whether ``domain`` (or an address of it) belongs to a public mail provider."""
    return (domain or "").rpartition("@")[2].strip().lower() in PUBLIC_MAIL_DOMAINS


class AutoregSenderRule(models.Model):
    """Allowlist and blocklist of senders, by address or by whole domain.

    Filled by the reviewers' decisions on held messages, or by hand. An
    address rule wins over a domain rule; at the same level, block wins.
    """

    _name = "autoreg.sender.rule"
    _description = "Intake Sender Rule"
    _order = "kind, value"
    _rec_name = "value"

    kind = fields.Selection(
        selection=[("address", "Address"), ("domain", "Domain")],
        required=True,
        default="address",
    )
    value = fields.Char(
        string="Address or domain",
        required=True,
        help="A full email address, or a domain such as example.com.",
    )
    action = fields.Selection(
        selection=[("allow", "Allow"), ("block", "Block")], required=True, default="allow"
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    inbound_id = fields.Many2one(
        comodel_name="autoreg.inbound",
        string="Reviewed message",
        ondelete="set null",
        help="The held message whose review created this rule.",
    )
    decided_uid = fields.Many2one(
        comodel_name="res.users", string="Decided by", readonly=True,
        help="Who last allowed or blocked this address or domain.",
    )
    decided_date = fields.Datetime(
        string="Decided on", readonly=True,
        help="When this address or domain was last allowed or blocked.",
    )
    note = fields.Char()
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "value_unique",
            "UNIQUE(kind, value, company_id)",
            "There is already a rule for this address or domain.",
        ),
    ]

    @api.model
    def _normalize(self, kind, value):
        value = (value or "").strip().lower()
        if kind == "address":
            return tools.email_normalize(value) or False
        return value.lstrip("@").strip(".") or False

    def init(self):
        # Rules decided before the decision was dated: their last change.
        self.env.cr.execute(
            """UPDATE autoreg_sender_rule
                  SET decided_date = COALESCE(write_date, create_date),
                      decided_uid = COALESCE(write_uid, create_uid)
                WHERE decided_date IS NULL"""
        )

    def _decision_vals(self):
        return {"decided_uid": self.env.uid, "decided_date": fields.Datetime.now()}

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._normalize_vals(vals)
            for key, value in self._decision_vals().items():
                vals.setdefault(key, value)
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        if "action" in vals:
            vals = {**self._decision_vals(), **vals}
        if "value" in vals:
            for rule in self:
                rule_vals = dict(vals, kind=vals.get("kind", rule.kind))
                rule._normalize_vals(rule_vals)
                super(AutoregSenderRule, rule).write(rule_vals)
            return True
        return super().write(vals)

    def _normalize_vals(self, vals):
        kind = vals.get("kind", "address")
        normalized = self._normalize(kind, vals.get("value"))
        if not normalized:
            raise ValidationError(
                _("%(value)s is not a valid email address or domain.", value=vals.get("value"))
            )
        vals["value"] = normalized

    @api.model
    def _decision_for(self, email_normalized, company):
        """``'allow'``, ``'block'`` or False for this sender."""
        if not email_normalized:
            return False
        rules = self._rules_of_company(company.id)
        domain_part = email_normalized.rpartition("@")[2]
        return rules.get(("address", email_normalized)) or rules.get(("domain", domain_part))

    @api.model
    @tools.ormcache("company_id")
    def _rules_of_company(self, company_id):
        """``{(kind, value): action}``, block winning over allow; the lists
        are small and read for every inbound mail, so they are cached."""
        rules = {}
        for kind, value, action in self.sudo()._read_group(
            [("company_id", "=", company_id)], ["kind", "value", "action"]
        ):
            if rules.get((kind, value)) != "block":
                rules[(kind, value)] = action
        return rules

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    @api.model
    def _remember(self, kind, email_normalized, action, company, inbound=None):
        """Record a reviewer's decision, replacing an earlier opposite one."""
        value = email_normalized if kind == "address" else email_normalized.rpartition("@")[2]
        value = self._normalize(kind, value)
        rule = self.with_context(active_test=False).search(
            [("kind", "=", kind), ("value", "=", value), ("company_id", "=", company.id)]
        )
        values = {
            "action": action, "active": True, "inbound_id": inbound and inbound.id,
            **self._decision_vals(),
        }
        if rule:
            rule.write(values)
            return rule
        return self.create({**values, "kind": kind, "value": value, "company_id": company.id})
