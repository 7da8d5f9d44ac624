# SPDX-License-Identifier: MIT
"""A package for runtime.py: nested absolute and relative imports."""
from . import rtsub             # a statement that names the package itself
from .deep import rtleaf        # a relative import of a subpackage's module
import rtpkg.deep.rtother       # an absolute one

VALUE = rtsub.VALUE + rtleaf.VALUE + rtpkg.deep.rtother.VALUE
