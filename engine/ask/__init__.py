"""The ``ask`` parser: a question in English or Indonesian, read by deterministic keyword
rules (no AI), to an intent, coins and a signal mode; the registry operation that answers
it; and a one-line answer from that operation's data.

* ``understand(text, known)`` -> ``Understood`` or ``NotUnderstood`` (``understand.py``
  has the reading rules, ``tokens.py`` the coin and language rules).
* ``route(u)`` -> (operation id, variables); ``answer_line(u, data)`` -> one line
  (``routes.py`` has the routing table).

Pure: standard library and ``engine`` only.
"""

from engine.ask.examples import EXAMPLES
from engine.ask.model import Intent, NotUnderstood, Understood
from engine.ask.routes import answer_line, route
from engine.ask.understand import MAX_CHARS, NEEDS_A_COIN, understand

__all__ = [
    "EXAMPLES",
    "MAX_CHARS",
    "NEEDS_A_COIN",
    "Intent",
    "NotUnderstood",
    "Understood",
    "answer_line",
    "route",
    "understand",
]
