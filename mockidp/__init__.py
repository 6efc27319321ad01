"""mockidp: an offline, faithful stand-in for an OCI IAM Identity Domain (formerly IDCS)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mockidp.testing import MockIdP


def __getattr__(name: str) -> Any:
    # Imported lazily so that `mockidp` on the command line does not pay for the test helpers.
    if name == "MockIdP":
        from mockidp.testing import MockIdP

        return MockIdP
    raise AttributeError(name)


__all__ = ["MockIdP", "__version__"]
