"""Package names, normalised the way each ecosystem compares them.

A catalogue name ending in `*` is a prefix pattern (`@aws-sdk/*`, `AWSSDK.*`,
`com.amazonaws:*`): it matches the names that start with what comes before the `*`,
which must end with a separator, so that a pattern never matches inside a word. A Go
module path also covers the modules under it (`github.com/aws/aws-sdk-go-v2` covers
`github.com/aws/aws-sdk-go-v2/service/s3`), at path-segment boundaries only.
"""

from __future__ import annotations

import re
from typing import Literal

Ecosystem = Literal["pypi", "npm", "go", "rubygems", "maven", "nuget", "cargo", "composer"]
ECOSYSTEMS: tuple[Ecosystem, ...] = ("pypi", "npm", "go", "rubygems", "maven", "nuget", "cargo", "composer")
SEPARATORS = "/:.-_"

_GO_MAJOR = re.compile(r"/v\d+$")
_PEP503 = re.compile(r"[-_.]+")
_GOPKG_MAJOR = re.compile(r"\.v\d+$")


def normalise(eco: str, name: str) -> str:
    """`Sentry_SDK` is `sentry-sdk` on PyPI; `github.com/stripe/stripe-go/v76` is
    `github.com/stripe/stripe-go`; NuGet, Maven, RubyGems, npm and Composer names are
    compared without case; crates.io treats `-` and `_` alike."""
    name = name.strip()
    if eco == "pypi":
        return _PEP503.sub("-", name).lower()  # PEP 503, as packaging's canonicalize_name; keeps a pattern's `*`
    name = name.lower()
    if eco == "go":
        if name.startswith("gopkg.in/"):
            return _GOPKG_MAJOR.sub("", name)
        return _GO_MAJOR.sub("", name)
    if eco == "cargo":
        return name.replace("_", "-")
    return name


def is_pattern(name: str) -> bool:
    return name.endswith("*")


def valid_pattern(name: str) -> bool:
    """A prefix pattern ends in a separator followed by `*`, and is not only that."""
    return len(name) > 2 and name[-2] in SEPARATORS and "*" not in name[:-1]
