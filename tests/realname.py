"""The tests' population register: every identity is a match, except the numbers a test refuses.

Named by REALNAME_VERIFIER in tests/conftest.py (the development verifier is refused without DEBUG,
and the production one would need a population service)."""

import threading

from anmin.citizens.realname import Verdict


class TestVerifier:
    __test__ = False  # not a test class

    refused: set[str] = set()
    calls: list[tuple[str, str]] = []
    _lock = threading.Lock()

    def verify(self, name: str, id_number: str) -> Verdict:
        with self._lock:
            self.calls.append((name, id_number))
        if id_number in self.refused:
            return Verdict(False, "mismatch")
        return Verdict(True)

    @classmethod
    def reset(cls) -> None:
        cls.refused.clear()
        cls.calls.clear()
