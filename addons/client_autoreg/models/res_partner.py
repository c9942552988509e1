# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models, tools


class ResPartner(models.Model):
    # mail.thread.phone stores phone_sanitized (E.164), the index intake
    # matches phone numbers on.
    _name = "res.partner"
    _inherit = ["res.partner", "mail.thread.phone"]

    @api.model
    def _autoreg_identity(self, email=None, phone=None, country=None):
        """Normalise what a sender told us into the keys contacts are matched on.

        :return: ``(email_normalized, phone_e164)``; either may be False.
        """
        email_normalized = tools.email_normalize(email or "") or False
        phone_e164 = False
        if phone:
            phone_e164 = self._phone_format(
                number=phone,
                country=country or self.env.company.country_id,
                force_format="E164",
            )
        return email_normalized, phone_e164

    @api.model
    def _autoreg_match(self, email_normalized, phone_e164, company):
        """The existing contact with this email or phone, if any."""
        company_domain = [("company_id", "in", [company.id, False])]
        for field_name, value in (
            ("email_normalized", email_normalized),
            ("phone_sanitized", phone_e164),
        ):
            if not value:
                continue
            partner = self.search(
                [(field_name, "=", value)] + company_domain,
                order="is_company, id",
                limit=1,
            )
            if partner:
                return partner
        return self.browse()

    @api.model
    def _autoreg_find_or_create(self, values, company, allow_create, verified=True):
        """Match the sender of an inbound message to one contact.

        ``values`` holds ``name``, ``email``, ``phone`` and ``country`` as the
        channel received them.  At most one contact is created per identity,
        even when several messages of the same new person are processed at
        the same moment (see ``autoreg.lock``). ``verified`` False means
        the sender's identity is not verified: nobody is matched or created.
        """
        if not verified:
            return self.browse()
        email_normalized, phone_e164 = self._autoreg_identity(
            values.get("email"), values.get("phone"), values.get("country")
        )
        if not (email_normalized or phone_e164):
            return self.browse()
        self.env["autoreg.lock"]._acquire(
            email_normalized and f"partner-email:{company.id}:{email_normalized}",
            phone_e164 and f"partner-phone:{company.id}:{phone_e164}",
        )
        partner = self._autoreg_match(email_normalized, phone_e164, company)
        if partner or not allow_create:
            return partner
        return self.create(
            {
                "name": values.get("name") or email_normalized or phone_e164,
                "email": email_normalized,
                "phone": phone_e164,
                "country_id": values.get("country") and values["country"].id,
                "company_id": False,
            }
        )
