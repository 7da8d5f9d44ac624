# SPDX-License-Identifier: MIT
VALUE = 10
