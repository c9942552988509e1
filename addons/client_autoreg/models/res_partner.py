# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Contacts as intake knows them: each email and phone is proven or only
claimed.

An identifier is *proven* when something more than the sender's word vouches
for it (``PROOFS``): staff entered it in the backend, Telegram sent the
sender's own contact card, the company's mail server saw the mail pass DMARC,
the owner clicked a confirmation link or signed in to the portal. Mail the
company's server received without authentication results is weaker evidence
(``mailbox``), kept for companies whose server adds none. Anything typed in a
form or a chat is a *claim*.

Matching follows one rule: a message is matched to an existing contact only
by an identifier the message proves (or the mailbox vouches for), and only
where that identifier is not a mere claim on the contact. A claim never links
a chat, a portal account or a request to anybody: the message gets a contact
of its own, and the pair is listed for a reviewer to merge.
"""

import email_validator

from odoo import api, fields, models, tools

# How an identifier was proven, strongest first; the empty value is a claim.
PROOFS = [
    ("staff", "Entered by staff"),
    ("portal", "Signed-in portal user"),
    ("link", "Confirmation link clicked"),
    ("telegram", "Telegram contact card"),
    ("mail", "Authenticated mail (DMARC)"),
    ("mailbox", "Mail received by the company's server"),
]
# Evidence that may match a contact but does not make a claim proven.
WEAK_PROOFS = {"mailbox"}
# The proof context key: a value from PROOFS, or False for a claim.
PROOF_CONTEXT = "autoreg_proof"
PHONE_FIELDS = ("phone", "mobile")


class ResPartner(models.Model):
    # mail.thread.phone stores phone_sanitized (E.164), the index intake
    # matches phone numbers on.
    _name = "res.partner"
    _inherit = ["res.partner", "mail.thread.phone"]

    autoreg_email_proof = fields.Selection(
        selection=PROOFS, string="Email proven by", readonly=True, copy=False,
        help="How the contact's email address was proven; empty when it was only "
        "typed by someone (a claim), which never links a chat, an account or a "
        "request to this contact.",
    )
    autoreg_phone_proof = fields.Selection(
        selection=PROOFS, string="Phone proven by", readonly=True, copy=False,
        help="How the contact's phone number was proven; empty when it was only "
        "typed by someone (a claim), which never links a Telegram chat to this "
        "contact.",
    )

    # ------------------------------------------------------------------
    # Recording the proof of what is written
    # ------------------------------------------------------------------

    @api.model
    def _autoreg_writer_proof(self):
        """The proof of identifiers written now: what intake says in the
        context, else staff for an internal user and a claim for anyone else
        (a visitor, a portal user, a public request run as sudo)."""
        if PROOF_CONTEXT in self.env.context:
            return self.env.context[PROOF_CONTEXT] or False
        return "staff" if not self.env.user.share else False

    @api.model_create_multi
    def create(self, vals_list):
        proof = self._autoreg_writer_proof()
        for vals in vals_list:
            if vals.get("email") and "autoreg_email_proof" not in vals:
                vals["autoreg_email_proof"] = proof
            if any(vals.get(name) for name in PHONE_FIELDS) and "autoreg_phone_proof" not in vals:
                vals["autoreg_phone_proof"] = proof
        return super().create(vals_list)

    def write(self, vals):
        if "email" in vals and "autoreg_email_proof" not in vals:
            vals = dict(vals, autoreg_email_proof=self._autoreg_writer_proof()
                        if vals["email"] else False)
        if any(name in vals for name in PHONE_FIELDS) and "autoreg_phone_proof" not in vals:
            vals = dict(vals, autoreg_phone_proof=self._autoreg_writer_proof())
        return super().write(vals)

    def action_autoreg_erasure(self):
        """Open the erasure case of the contact: what intake holds on them,
        to block or erase (``autoreg.erasure``)."""
        self.ensure_one()
        erasure = self.env["autoreg.erasure"]._open_for(self)
        return {
            "type": "ir.actions.act_window",
            "res_model": "autoreg.erasure",
            "res_id": erasure.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    def _autoreg_email_proven(self):
        """Whether the contact's address is proven by more than a mailbox."""
        self.ensure_one()
        return bool(self.email) and self.autoreg_email_proof not in (False, *WEAK_PROOFS)

    def _autoreg_prove(self, email_proof=None, phone_proof=None):
        """Record a proof of the contact's current email or phone, keeping
        a stronger one."""
        self.ensure_one()
        values = {}
        for field_name, proof in (("autoreg_email_proof", email_proof),
                                  ("autoreg_phone_proof", phone_proof)):
            if proof and _stronger(proof, self[field_name]):
                values[field_name] = proof
        if not values:
            return False
        # sudo: intake records what proved the identifier, nothing else
        return super(ResPartner, self.sudo()).write(values)

    # ------------------------------------------------------------------
    # Matching a sender to one contact
    # ------------------------------------------------------------------

    @api.model
    def _autoreg_identity(self, email=None, phone=None, country=None):
        """Normalise what a sender told us into the keys contacts are matched on.

        :return: ``(email_normalized, phone_e164)``; either may be False.
        """
        email_normalized = _valid_address(tools.email_normalize(email or "") or "")
        phone_e164 = False
        if phone:
            phone_e164 = self._phone_format(
                number=phone,
                country=country or self.env.company.country_id,
                force_format="E164",
            )
        return email_normalized, phone_e164

    @api.model
    def _autoreg_match(self, email_normalized, phone_e164, company,
                       email_proof=None, phone_proof=None):
        """The existing contact of the company that this evidence points to.

        An identifier matches only when the message proves it (or the
        mailbox vouches for it) and the contact's copy is not a claim.
        """
        company_domain = [("company_id", "in", [company.id, False])]
        for field_name, proof_field, value, proof in (
            ("email_normalized", "autoreg_email_proof", email_normalized, email_proof),
            ("phone_sanitized", "autoreg_phone_proof", phone_e164, phone_proof),
        ):
            if not (value and proof):
                continue
            partner = self.search(
                [(field_name, "=", value), (proof_field, "!=", False)] + company_domain,
                order="is_company, id",
                limit=1,
            )
            if partner:
                return partner
        return self.browse()

    @api.model
    def _autoreg_find_or_create(self, values, company, allow_create, verified=True,
                                email_proof=None, phone_proof=None):
        """Match the sender of an inbound message to one contact.

        ``values`` holds ``name``, ``email``, ``phone`` and ``country`` as the
        channel received them (``region``: the country a local phone number
        is read in when the sender gave none, not stored on the contact);
        ``email_proof`` and ``phone_proof`` what the message proves of each
        (None: a claim). At most one contact is
        created per identity, even when several messages of the same new
        person are processed at the same moment (see ``autoreg.lock``).
        ``verified`` False means the sender's identity failed a check (SPF,
        DKIM): nobody is matched or created. A new contact sharing a claimed
        identifier with another one is listed as a likely duplicate.
        """
        if not verified:
            return self.browse()
        email_normalized, phone_e164 = self._autoreg_identity(
            values.get("email"), values.get("phone"),
            values.get("country") or values.get("region"),
        )
        if not (email_normalized or phone_e164):
            return self.browse()
        partner = self._autoreg_match(
            email_normalized, phone_e164, company, email_proof, phone_proof
        )
        if not partner and allow_create:
            # Only a creation needs the lock. A transaction that created the
            # contact after this one's snapshot holds (or held) the same
            # lock row: this one then fails to serialize, and is retried
            # with a snapshot where the contact matches.
            self.env["autoreg.lock"]._acquire(
                email_normalized and f"partner-email:{company.id}:{email_normalized}",
                phone_e164 and f"partner-phone:{company.id}:{phone_e164}",
            )
        if partner:
            partner._autoreg_prove(
                email_proof if partner.email_normalized == email_normalized else None,
                phone_proof if partner.phone_sanitized == phone_e164 else None,
            )
            return partner
        if not allow_create:
            return partner
        partner = self.with_context(**{PROOF_CONTEXT: False}).create(
            {
                "name": _plain_text(values.get("name")) or email_normalized or phone_e164,
                "email": email_normalized,
                "phone": phone_e164,
                "country_id": values.get("country") and values["country"].id,
                "company_id": False,
                # weak evidence is kept too: the same mailbox matches next time
                "autoreg_email_proof": (email_normalized and email_proof) or False,
                "autoreg_phone_proof": (phone_e164 and phone_proof) or False,
            }
        )
        self.env["autoreg.duplicate"]._suggest(partner, company)
        return partner


def _valid_address(address):
    """``address`` if it is one valid address (syntax only, IDN aware), else
    False: Odoo's normaliser turns ``a@@example.com`` into ``@example.com``,
    which would make strangers one contact."""
    if not address:
        return False
    try:
        email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return address


def _stronger(proof, than):
    order = [key for key, _label in PROOFS]
    return not than or order.index(proof) < order.index(than)


def _plain_text(name):
    """A name as plain text: markup typed into it is dropped."""
    if not name:
        return name
    return tools.html2plaintext(name).strip() if "<" in name else name.strip()
