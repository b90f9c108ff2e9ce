"""Plain data and how the grader compares it.

Everything a student's code produces is turned into *plain data* (``None``, ``bool``, ``int``,
``float``, ``str``, and lists and string-keyed dicts of those) by :func:`to_plain` before it is
judged, in the notebook as in the batch grader (where it crosses a process boundary as JSON). The
comparators then look only at plain data, with exact types: an object whose ``__eq__`` always
says ``True`` is not a number, so it never compares equal to one.

>>> cmp = close(rtol=1e-6)
>>> cmp(2.0000001, 2.0) is None
True
>>> cmp([1.0, 5.0], [1.0, 4.0])
'[1]: expected 4, got 5'
>>> class AlwaysEqual:
...     def __eq__(self, other):
...         return True
>>> to_plain(AlwaysEqual())
Traceback (most recent call last):
...
autodiff.grading.compare.NotPlain: got a AlwaysEqual object where a number, string, list or dict was expected
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, Union

__all__ = ["Plain", "Comparator", "NotPlain", "to_plain", "close", "equal", "fmt"]

Plain = Union[None, bool, int, float, str, list, dict]
#: ``compare(got, expected)`` returns ``None`` when ``got`` is right, else a short message.
Comparator = Callable[[Any, Any], Union[str, None]]

_MAX_DEPTH = 32
_MAX_ITEMS = 1_000_000


class NotPlain(TypeError):
    """A result that is not plain data (a student object where a number was expected).

    >>> issubclass(NotPlain, TypeError)
    True
    """


def to_plain(value: Any) -> Plain:
    """Convert ``value`` to plain data, or raise :class:`NotPlain` saying what it was.

    Subclasses of ``int``, ``float`` and ``str`` become the built-in type with the same value (their
    overridden methods are not called); tuples become lists; numpy scalars and other registered
    real numbers become ``float`` or ``int``. Anything else is rejected.

    >>> to_plain((1, 2.5, [True, None], {"a": "x"}))
    [1, 2.5, [True, None], {'a': 'x'}]
    >>> import numpy as np
    >>> to_plain(np.float32(0.5)), to_plain(np.int64(3))
    (0.5, 3)
    """
    budget = [_MAX_ITEMS]
    return _plain(value, 0, budget)


def _plain(value: Any, depth: int, budget: list[int]) -> Plain:
    budget[0] -= 1
    if budget[0] < 0:
        raise NotPlain(f"the result has more than {_MAX_ITEMS} items")
    if depth > _MAX_DEPTH:
        raise NotPlain(f"the result is nested more than {_MAX_DEPTH} levels deep")
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is float or kind is str:
        return value
    if isinstance(value, bool):  # pragma: no cover - bool cannot be subclassed
        return bool(value)
    if isinstance(value, int):
        return int.__index__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, str):
        return str.__str__(value)
    if kind is list or kind is tuple:
        return [_plain(item, depth + 1, budget) for item in value]
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise NotPlain(f"a dict key is a {type(key).__name__}, not a string")
            out[key] = _plain(item, depth + 1, budget)
        return out
    if isinstance(value, numbers.Integral) and hasattr(value, "__index__"):
        converted = value.__index__()
        if type(converted) is int:
            return converted
    if isinstance(value, numbers.Real):
        converted = float(value)
        if isinstance(converted, float):
            return float.__float__(converted)
    raise NotPlain(
        f"got a {kind.__name__} object where a number, string, list or dict was expected"
    )


def _is_number(x: Any) -> bool:
    return type(x) is int or type(x) is float


def _diff(got: Any, expected: Any, path: str, numbers_match: Callable[[float, float], bool]) -> str | None:
    where = f"{path}: " if path else ""
    if _is_number(expected):
        if not _is_number(got):
            return f"{where}expected a number ({fmt(expected)}), got {fmt(got)}"
        if math.isnan(expected):
            return None if math.isnan(got) else f"{where}expected nan, got {fmt(got)}"
        if numbers_match(got, expected):
            return None
        return f"{where}expected {fmt(expected)}, got {fmt(got)}"
    if type(expected) is list:
        if type(got) is not list:
            return f"{where}expected a list of {len(expected)}, got {fmt(got)}"
        if len(got) != len(expected):
            return f"{where}expected {len(expected)} items, got {len(got)}"
        for index, (g, e) in enumerate(zip(got, expected)):
            message = _diff(g, e, f"{path}[{index}]", numbers_match)
            if message:
                return message
        return None
    if type(expected) is dict:
        if type(got) is not dict:
            return f"{where}expected {fmt(expected)}, got {fmt(got)}"
        for key, e in expected.items():
            if key not in got:
                return f"{where}missing {key!r}"
            message = _diff(got[key], e, f"{path}.{key}" if path else key, numbers_match)
            if message:
                return message
        return None
    if type(got) is type(expected) and got == expected:
        return None
    return f"{where}expected {fmt(expected)}, got {fmt(got)}"


def close(rtol: float = 1e-6, atol: float = 1e-9) -> Comparator:
    """Structural comparison with numbers equal to within ``rtol`` and ``atol``.

    Lists must have the same length; dicts must have every expected key (extra keys are ignored);
    strings, booleans and ``None`` must match exactly; a NaN is only matched by a NaN.

    >>> close()({"data": 6.0, "op": "*"}, {"data": 6.0, "op": "+"})
    "op: expected '+', got '*'"
    >>> close()(True, 1) is None
    False
    """
    if rtol < 0 or atol < 0:
        raise ValueError(f"close: tolerances must be >= 0, got rtol={rtol}, atol={atol}")

    def numbers_match(got: float, expected: float) -> bool:
        if math.isinf(expected) or math.isinf(got):
            return got == expected
        return math.isclose(got, expected, rel_tol=rtol, abs_tol=atol)

    def compare(got: Any, expected: Any) -> str | None:
        return _diff(got, expected, "", numbers_match)

    compare.__name__ = f"close(rtol={rtol:g}, atol={atol:g})"
    return compare


def equal() -> Comparator:
    """Exact structural comparison (``2 == 2.0``; ``True`` is not the number 1).

    >>> equal()([0, 2, 1], [0, 1, 2])
    '[1]: expected 1, got 2'
    """

    def compare(got: Any, expected: Any) -> str | None:
        return _diff(got, expected, "", lambda g, e: g == e)

    compare.__name__ = "equal()"
    return compare


def fmt(value: Any, width: int = 48) -> str:
    """A short, deterministic rendering of plain data for tables and messages.

    >>> fmt([0.1 + 0.2, -3, "a", None, {"g": 1e-12}])
    "[0.3, -3, 'a', None, {g=1e-12}]"
    >>> fmt(list(range(100)), width=20)
    '[0, 1, 2, 3, 4, 5, …'
    """
    text = _render(value, 0)
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


def _render(value: Any, depth: int) -> str:
    if depth > 4:
        return "…"
    kind = type(value)
    if kind is float:
        return f"{value:.6g}"
    if kind is bool or kind is int or value is None:
        return repr(value)
    if kind is str:
        return repr(value if len(value) <= 60 else value[:60] + "…")
    if kind is list:
        items = [_render(v, depth + 1) for v in value[:8]]
        if len(value) > 8:
            items.append(f"… {len(value)} items")
        return "[" + ", ".join(items) + "]"
    if kind is dict:
        return "{" + ", ".join(f"{k}={_render(v, depth + 1)}" for k, v in list(value.items())[:8]) + "}"
    return f"<{kind.__name__}>"
