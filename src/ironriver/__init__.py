"""ironriver: a binational (US-Mexico) counter-trafficking intelligence platform.

The package is a library first; the `ironriver` command, the API and the web app are thin
layers over it. Read `DESIGN.md` in the shared folder for the architecture.
"""

__version__ = "0.1.0"

from ironriver.ftm_import import install as _ftm_with_libyaml

_ftm_with_libyaml()  # FtM's default model parsed by libyaml when first imported (ftm_import)
