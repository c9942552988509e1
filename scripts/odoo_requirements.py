"""Print Odoo's own requirements as they apply to this project's Python.

Odoo 18 pins, for Python 3.11, packages that no longer build with current
setuptools (cryptography 3.4.8, gevent 22.10.2, ...).  The pins Odoo chose for
Python 3.12 (Ubuntu Noble) ship wheels for 3.11 as well, so the markers are
evaluated as for 3.12.  python-ldap needs the OpenLDAP headers and only serves
auth_ldap, which this project does not use: it is left out.
"""

import sys

from pip._vendor.packaging.requirements import InvalidRequirement, Requirement

SKIPPED = {"python-ldap"}
ENVIRONMENT = {"python_version": "3.12", "python_full_version": "3.12.0"}


def wanted(line):
    line = line.split("#", 1)[0].strip()
    if not line:
        return None
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return None
    if requirement.name.lower() in SKIPPED:
        return None
    if requirement.marker and not requirement.marker.evaluate(ENVIRONMENT):
        return None
    requirement.marker = None
    return str(requirement)


def main(path):
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            requirement = wanted(line)
            if requirement:
                print(requirement)


if __name__ == "__main__":
    main(sys.argv[1])
