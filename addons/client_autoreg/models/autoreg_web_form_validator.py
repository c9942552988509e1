# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Server-side validation of the website forms, in the visitor's language.

Turns a form post into the values of an inbound message, or into one
message per wrong field; nothing a visitor typed is trusted as is.
"""

import json
from datetime import datetime

import pytz
from markupsafe import Markup

from odoo import api, models, tools
from odoo.tools import plaintext2html

from .autoreg_door_website import company_tz

MAX_FILES = 5
LIMITS = {"name": 128, "email": 254, "phone": 32, "subject": 200, "description": 5000}


class AutoregWebFormValidator(models.AbstractModel):
    _name = "autoreg.web.form.validator"
    _description = "Website Form Validator"

    @api.model
    def _max_file_bytes(self):
        mb = self.env["res.config.settings"]._autoreg_param("web_max_upload_mb")
        return int(mb * 1024 * 1024)

    @api.model
    def _parse(self, form, params, files, partner=None):
        """Validate a post of ``form`` (register / request / appointment).

        :param params: the posted fields (strings)
        :param files: ``werkzeug`` FileStorage objects of the attachments field
        :param partner: the logged-in customer, whose contact data is used
        :return: ``(values, errors)``: values of an ``autoreg.inbound``, and
            ``{field: message}`` for each field to correct
        """
        errors = {}
        # Only text is read from the fields: a file posted under a field's
        # name is ignored, and NUL characters (which PostgreSQL cannot
        # store) are dropped.
        params = {key: value.replace("\x00", "") for key, value in params.items()
                  if isinstance(value, str)}
        text = {
            key: (params.get(key) or "").strip()
            for key in ("name", "email", "phone", "subject", "description")
        }
        for key, limit in LIMITS.items():
            if len(text[key]) > limit:
                errors[key] = self.env._("At most %(count)s characters.", count=limit)
        values = self._parse_contact(text, params, partner, errors)
        values.update(
            {
                "web_form": form,
                "newsletter_consent": params.get("newsletter") in ("1", "on", "true"),
                "payload": json.dumps(
                    {key: value for key, value in params.items() if key in PAYLOAD_FIELDS},
                    ensure_ascii=False,
                ),
            }
        )
        if form == "request":
            values.update(self._parse_request(text, errors))
            values.update(self._parse_order(params, errors))
        elif form == "appointment":
            values.update(self._parse_appointment(text, params, errors))
        if form != "register":
            values["attachments"] = self._parse_files(files, errors)
        return values, errors

    @api.model
    def _parse_contact(self, text, params, partner, errors):
        if partner:
            return {
                "partner_id": partner.id,
                "sender_name": partner.name,
                "sender_email": partner.email,
                "sender_phone": partner.phone or partner.mobile,
                # signed in: the portal account vouches for its address
                "sender_email_proof": "portal" if partner.email else False,
            }
        country = self.env["res.country"]
        if (params.get("country_id") or "").isdigit():
            country = country.browse(int(params["country_id"])).exists()
        if not text["name"]:
            errors.setdefault("name", self.env._("Please tell us your name."))
        # The same normalisation intake matches contacts with
        email, phone_e164 = self.env["res.partner"]._autoreg_identity(
            text["email"], text["phone"], country or self.env.company.country_id
        )
        if not email or len(tools.email_split(text["email"])) != 1:
            errors.setdefault("email", self.env._("Please enter a valid email address."))
        phone = text["phone"]
        if phone and not phone_e164:
            errors.setdefault(
                "phone", self.env._("This phone number is not valid for the chosen country.")
            )
        return {
            "sender_name": text["name"],
            "sender_email": email or text["email"],
            "sender_phone": phone or False,
            "sender_country_id": country.id,
        }

    @api.model
    def _parse_request(self, text, errors):
        if not text["subject"]:
            errors.setdefault("subject", self.env._("Please give your request a subject."))
        if not text["description"]:
            errors.setdefault("description", self.env._("Please describe your request."))
        return {"subject": text["subject"], "body": plaintext2html(text["description"])}

    @api.model
    def _offered_service(self, params, kind):
        """The service of ``kind`` the visitor chose among those offered."""
        # sudo: visitors choose among the services the page lists to them
        service = self.env["autoreg.web.service"].sudo()
        if (params.get("service_id") or "").isdigit():
            service = service.browse(int(params["service_id"])).exists().filtered(
                lambda svc: svc.active and svc.kind == kind
                and svc.company_id in (self.env.company, svc.company_id.browse())
            )
        return service

    @api.model
    def _parse_order(self, params, errors):
        """A request may name the product or service ordered (optional)."""
        if not params.get("service_id"):
            return {}
        service = self._offered_service(params, "order")
        if not service:
            errors["service_id"] = self.env._("Please choose a service.")
        return {"web_service_id": service.id}

    @api.model
    def _parse_appointment(self, text, params, errors):
        """A service and one of its free times (``start``, naive UTC as the
        page lists them), with a chosen member or any (``member_id``)."""
        slots = self.env["autoreg.booking.slot"]
        service = self._offered_service(params, "appointment")
        if not service:
            archived = self._archived_service(params)
            errors["service_id"] = (
                slots._refusal_message("service") if archived
                else self.env._("Please choose a service.")
            )
        start = self._parse_start(params.get("start"), errors)
        member = self._parse_member(service, params.get("member_id"), errors)
        if service and start and "member_id" not in errors:
            reason, _slot = slots._slot_refusal(service, start, member)
            if reason:
                errors["start"] = slots._refusal_message(reason)
        tz_name = company_tz(self.env.company)
        when = tools.format_datetime(self.env, start, tz=tz_name, dt_format="medium") \
            if start else ""
        details = Markup("<p>%s</p>") % self.env._(
            "%(service)s on %(when)s (%(tz)s), with %(member)s",
            service=service.name or "", when=when, tz=tz_name,
            member=member.name or self.env._("any available member"),
        )
        notes = plaintext2html(text["description"]) if text["description"] else Markup()
        local_day = start and pytz.utc.localize(start).astimezone(pytz.timezone(tz_name)).date()
        return {
            "web_service_id": service.id,
            "web_start": start or False,
            "web_member_id": member.id,
            "web_date": local_day or False,
            "subject": self.env._(
                "%(service)s for %(name)s", service=service.name or "", name=text["name"]
            )[: LIMITS["subject"]],
            "body": details + notes,
        }

    @api.model
    def _archived_service(self, params):
        # sudo: only whether the posted service was withdrawn is read
        if not (params.get("service_id") or "").isdigit():
            return False
        service = self.env["autoreg.web.service"].sudo().with_context(active_test=False)
        return bool(service.browse(int(params["service_id"])).exists().filtered(
            lambda svc: not svc.active))

    @api.model
    def _parse_start(self, raw, errors):
        """A start time as the form lists them: ``YYYY-MM-DDTHH:MM`` in UTC."""
        try:
            start = datetime.strptime(raw or "", "%Y-%m-%dT%H:%M")
        except ValueError:
            errors["start"] = self.env._("Please choose a time.")
            return None
        return start

    @api.model
    def _parse_member(self, service, raw, errors):
        """The member chosen (a user), or none for "any"."""
        member = self.env["res.users"]
        if raw in (None, "", "any"):
            return member
        if not raw.isdigit():
            errors["member_id"] = self.env._("Please choose who you want to see.")
            return member
        # sudo: visitors choose among the members the page lists
        member = member.sudo().browse(int(raw)).exists()
        if service and member not in service._autoreg_members():
            errors["member_id"] = self.env["autoreg.booking.slot"]._refusal_message("member")
        return member

    @api.model
    def _parse_files(self, files, errors):
        files = [file for file in files if file and (file.filename or "").replace("\x00", "")]
        if len(files) > MAX_FILES:
            errors["attachments"] = self.env._("At most %(count)s files.", count=MAX_FILES)
            return []
        limit = self._max_file_bytes()
        attachments = []
        for file in files:
            content = file.read(limit + 1)
            if len(content) > limit:
                errors["attachments"] = self.env._(
                    "%(name)s is larger than %(size)s MB.",
                    name=file.filename, size=round(limit / 1024 / 1024, 1),
                )
                return []
            attachments.append(
                {"name": file.filename.replace("\x00", "")[:200], "raw": content,
                 "mimetype": file.mimetype}
            )
        return attachments


# What is kept of a post as its raw payload (tokens and files are not).
PAYLOAD_FIELDS = {
    "name", "email", "phone", "country_id", "newsletter", "subject", "description",
    "service_id", "date", "slot", "start", "member_id",
}
