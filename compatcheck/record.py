"""Immutable records: what frozen dataclasses offer, without their import and class-build cost.

compatcheck runs in pre-commit hooks, where start-up time is most of the cost; `dataclasses`
compiles generated code for every class. A record keeps its fields in the instance dict (so
`functools.cached_property` works), refuses assignment, compares and hashes by field values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Type checkers only (their stubs include typing_extensions): mypy checking for Python 3.10
    # would otherwise take the fallback below and not see records as dataclasses.
    from typing_extensions import dataclass_transform
else:
    try:
        from typing import dataclass_transform  # tells type checkers a record is a dataclass
    except ImportError:  # Python 3.10, and typing_extensions is no dependency of ours
        def dataclass_transform(**_kwargs):
            return lambda f: f

_MISSING = object()


class Factory:
    """A default computed per instance (like dataclasses' default_factory)."""

    __slots__ = ("make",)

    def __init__(self, make):
        self.make = make


class FrozenRecordError(AttributeError):
    pass


# long: the class body it builds (init, eq, hash, repr, setattr) reads best in one place
@dataclass_transform(frozen_default=True, field_specifiers=(Factory,))
def record(cls=None, *, uncompared: tuple[str, ...] = ()):
    """Class decorator. Fields are the annotated names, in order; a class value is the default.

    ``uncompared`` fields take no part in ==, hash and repr (e.g. a module's raw bytes).
    """

    # long: see record
    def wrap(cls):
        names = tuple(cls.__dict__.get("__annotations__", {}))
        defaults = {}
        for n in names:
            if n in cls.__dict__:
                defaults[n] = cls.__dict__[n]
                delattr(cls, n)
            elif defaults:
                raise TypeError(f"{cls.__name__}.{n}: field without default after defaults")
        compared = tuple(n for n in names if n not in uncompared)
        index = set(names)

        def __init__(self, *args, **kwargs):
            if len(args) > len(names):
                raise TypeError(f"{cls.__name__} takes {len(names)} arguments")
            d = self.__dict__
            for n, v in zip(names, args, strict=False):
                d[n] = v
            for k, v in kwargs.items():
                if k not in index or k in d:
                    raise TypeError(f"{cls.__name__}: unexpected or repeated argument {k!r}")
                d[k] = v
            if len(d) < len(names):
                for n in names:
                    if n not in d:
                        value = defaults.get(n, _MISSING)
                        if value is _MISSING:
                            raise TypeError(f"{cls.__name__}: missing argument {n!r}")
                        d[n] = value.make() if isinstance(value, Factory) else value
            post = getattr(self, "__post_init__", None)
            if post is not None:
                post()

        def _key(self):
            d = self.__dict__
            return tuple(d[n] for n in compared)

        def __eq__(self, other):
            if other.__class__ is not self.__class__:
                return NotImplemented
            return _key(self) == _key(other)

        def __hash__(self):
            return hash(_key(self))

        def __repr__(self):
            d = self.__dict__
            return f"{cls.__name__}({', '.join(f'{n}={d[n]!r}' for n in compared)})"

        def __setattr__(self, name, value):
            raise FrozenRecordError(f"{cls.__name__} is immutable (cannot set {name!r})")

        def __delattr__(self, name):
            raise FrozenRecordError(f"{cls.__name__} is immutable (cannot delete {name!r})")

        cls.__init__ = __init__
        cls.__eq__ = __eq__
        cls.__hash__ = __hash__
        if "__repr__" not in cls.__dict__:
            cls.__repr__ = __repr__
        cls.__setattr__ = __setattr__
        cls.__delattr__ = __delattr__
        cls._fields = names
        return cls

    return wrap if cls is None else wrap(cls)


def replace(obj, **changes):
    """A copy of record ``obj`` with some fields changed."""
    values = {n: obj.__dict__[n] for n in obj._fields}
    unknown = set(changes) - set(values)
    if unknown:
        raise TypeError(f"{type(obj).__name__}: no fields {sorted(unknown)}")
    values.update(changes)
    return type(obj)(**values)
