"""Errors a user can fix: one line naming what to change, never a traceback."""

from __future__ import annotations

import dagster as dg


class UserFacingError(dg.Failure):
    """A failure whose description is the single line the user needs."""

    def __init__(self, message: str, retryable: bool = False):
        # Not retryable unless it may pass by itself (an unreachable API, say).
        super().__init__(description=message, allow_retries=retryable)
        self.message = message

    def __str__(self) -> str:
        return self.message
