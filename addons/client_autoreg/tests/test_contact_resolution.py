# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from .common import AutoregCase


class TestContactResolution(AutoregCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.asha = cls.env["res.partner"].create(
            {
                "name": "Asha Rao",
                "email": "Asha Rao <asha.rao@example.in>",
                "phone": "098450 12345",
                "country_id": cls.env.ref("base.in").id,
            }
        )
        cls.elena = cls.env["res.partner"].create(
            {
                "name": "Elena Ruiz",
                "phone": "+34 622 11 22 33",
                "country_id": cls.env.ref("base.es").id,
            }
        )

    def test_email_matches_whatever_its_case_and_display_name(self):
        for index, email in enumerate(
            ["ASHA.RAO@example.in", '"A. Rao" <asha.rao@EXAMPLE.IN>']
        ):
            inbound = self.register_proven(self.web, f"mail-{index}", sender_email=email)
            self.assertEqual(inbound.partner_id, self.asha, email)
            self.assertEqual(inbound.state, "done")

    def test_indian_number_matches_in_local_and_international_forms(self):
        for index, phone in enumerate(
            ["+91 98450 12345", "98450-12345", "0091 9845012345", "09845012345"]
        ):
            inbound = self.register_proven(self.web, f"in-{index}", sender_phone=phone)
            self.assertEqual(inbound.partner_id, self.asha, phone)

    def test_spanish_number_matches_in_local_and_international_forms(self):
        spain = self.env.ref("base.es")
        for index, phone in enumerate(["622 112 233", "622-11-22-33", "0034622112233"]):
            inbound = self.register_proven(
                self.web, f"es-{index}", sender_phone=phone, sender_country_id=spain.id
            )
            self.assertEqual(inbound.partner_id, self.elena, phone)
        # Written internationally, the number needs no country at all.
        inbound = self.register_proven(self.web, "es-intl", sender_phone="+34 622 11 22 33")
        self.assertEqual(inbound.partner_id, self.elena)

    def test_company_country_is_the_default_region(self):
        self.company.country_id = self.env.ref("base.es")
        inbound = self.register_proven(self.web, "es-default", sender_phone="622112233")
        self.assertEqual(inbound.partner_id, self.elena)

    def test_new_sender_creates_one_contact_in_e164(self):
        first = self.register_proven(
            self.web,
            "new-1",
            sender_name="Rohan Mehta",
            sender_email="Rohan.Mehta@Example.in",
            sender_phone="09813 765432",
        )
        rohan = first.partner_id
        self.assertEqual(rohan.name, "Rohan Mehta")
        self.assertEqual(rohan.email_normalized, "rohan.mehta@example.in")
        self.assertEqual(rohan.phone, "+919813765432")
        self.assertEqual(rohan.phone_sanitized, "+919813765432")

        by_phone = self.register_proven(self.chat, "new-2", sender_phone="+91 98137 65432")
        by_email = self.register_proven(self.web, "new-3", sender_email="rohan.mehta@example.in")

        self.assertEqual(by_phone.partner_id, rohan)
        self.assertEqual(by_email.partner_id, rohan)
        self.assertEqual(
            self.Partner.search_count([("email_normalized", "=", "rohan.mehta@example.in")]),
            1,
        )

    def test_typed_identifiers_never_match_an_existing_contact(self):
        inbound = self.register(self.web, "claim-1", sender_name="Someone",
                                sender_email="asha.rao@example.in", sender_phone="098450 12345")
        claimant = inbound.partner_id
        self.assertEqual(inbound.state, "done")
        self.assertNotEqual(claimant, self.asha)
        self.assertFalse(claimant.autoreg_email_proof or claimant.autoreg_phone_proof)
        self.assertNotEqual(inbound.ticket_id.partner_id, self.asha)
        pair = self.env["autoreg.duplicate"].search([("duplicate_id", "=", claimant.id)])
        self.assertEqual(pair.partner_id, self.asha)
        # ...nor a contact whose identifiers were only typed themselves.
        again = self.register_proven(self.web, "claim-2", sender_email="asha.rao@example.in")
        self.assertEqual(again.partner_id, self.asha)

    def test_person_is_preferred_to_company_with_the_same_email(self):
        company = self.Partner.create(
            {"name": "Verma Traders", "is_company": True, "email": "shop@verma.example"}
        )
        person = self.Partner.create(
            {"name": "Kiran Verma", "parent_id": company.id, "email": "shop@verma.example"}
        )
        inbound = self.register_proven(self.web, "shared", sender_email="shop@verma.example")
        self.assertEqual(inbound.partner_id, person)

    def test_contact_of_another_company_is_not_matched(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        self.Partner.create(
            {"name": "Private", "email": "private@example.com", "company_id": other.id}
        )
        inbound = self.register_proven(self.web, "private", sender_email="private@example.com")
        self.assertNotEqual(inbound.partner_id.company_id, other)
        self.assertFalse(inbound.partner_id.company_id)
