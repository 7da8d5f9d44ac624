# SPDX-License-Identifier: MIT
VALUE = 1
