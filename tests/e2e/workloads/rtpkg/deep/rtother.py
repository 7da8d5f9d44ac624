# SPDX-License-Identifier: MIT
from . import rtleaf            # already loaded: a statement that loads nothing
VALUE = 100 + rtleaf.VALUE
