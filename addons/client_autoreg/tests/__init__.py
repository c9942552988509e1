from . import test_access_rights
from . import test_concurrent_intake
from . import test_contact_resolution
from . import test_inbound_errors
from . import test_inbound_idempotency
from . import test_request_registration
