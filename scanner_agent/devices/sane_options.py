"""Pure rules about SANE options: which source or mode name to pick, and whether a value fits a constraint.

Kept apart from the device code so they can be tested without a scanner. Source and mode names are not
standardised: fujitsu, avision and canon_dr say "ADF Front"/"ADF Duplex", most others "Automatic Document
Feeder" or "ADF"; modes are "Color"/"Gray"/"Lineart" on most backends, "Binary" or "Black & White" on some.
"""

import sane

from appliance.domain.errors import InvalidInputError

DUPLEX_SOURCES = ("ADF Duplex", "Duplex", "Automatic Document Feeder Duplex", "ADF Both Sides")
SIMPLEX_SOURCES = ("Automatic Document Feeder", "ADF", "ADF Front", "ADF Simplex", "Document Feeder")
_FEEDER_WORDS = ("adf", "feeder", "duplex")
_NOT_SIMPLEX_WORDS = ("duplex", "back")

MODE_SYNONYMS = {
    "Color": ("Color", "Colour", "24bit Color"),
    "Gray": ("Gray", "Grey", "True Gray", "8bit Gray"),
    "Lineart": ("Lineart", "Binary", "Black & White", "Monochrome"),
}


def choose_source(available: list[str], duplex: bool) -> str | None:
    """The document-feeder source to use among `available`, duplex or not; None when there is none.

    Known names first, in order of preference; then any name that mentions a feeder (and "duplex" when duplex,
    neither "duplex" nor "back" when not), compared without regard to case.
    """
    known = DUPLEX_SOURCES if duplex else SIMPLEX_SOURCES
    for name in known:
        if name in available:
            return name
    for name in available:
        lowered = name.lower()
        if duplex and "duplex" in lowered:
            return name
        if not duplex and _is_feeder_word(lowered) and not any(word in lowered for word in _NOT_SIMPLEX_WORDS):
            return name
    return None


def _is_feeder_word(lowered: str) -> bool:
    return any(word in lowered for word in _FEEDER_WORDS)


def is_feeder_source(source: str) -> bool:
    """Whether a source name is a document feeder (batches run until it is empty) rather than a flatbed."""
    return _is_feeder_word(source.lower())


def is_duplex_source(source: str) -> bool:
    """Whether a source name scans both sides (pages then come front, back, front, ...)."""
    return "duplex" in source.lower()


def choose_mode(available: list[str], wanted: str) -> str | None:
    """The device's name for the SANE mode `wanted` (Color, Gray, Lineart); None if it offers none of them."""
    for name in MODE_SYNONYMS.get(wanted, (wanted,)):
        if name in available:
            return name
    return None


def python_name(option_name: str) -> str:
    """The key python-sane uses for an option: SANE's name with "-" written "_"."""
    return option_name.replace("-", "_")


def colour_mode(parameters: tuple) -> str:
    """Our colour mode for a frame from SANE's parameters `(format, last_frame, size, depth, bytes_per_line)`."""
    frame_format, depth = parameters[0], parameters[3]
    if frame_format in ("gray", "grey"):
        return "bitonal" if depth == 1 else "greyscale"
    return "colour"


def checked_value(option, value):
    """`value` converted to the option's type, after checking that the option takes it.

    Raises InvalidInputError naming the option when it is inactive or read-only, when the value has the wrong
    type, or when it lies outside the option's list or range.
    """
    if not option.is_active():
        raise InvalidInputError(f"scanner option {option.name} is inactive (another setting switches it off)")
    if not option.is_settable() or option.type in (sane._sane.TYPE_BUTTON, sane._sane.TYPE_GROUP):
        raise InvalidInputError(f"scanner option {option.name} cannot be set")
    converted = _converted(option, value)
    _check_constraint(option, converted)
    return converted


def _converted(option, value):
    if option.type == sane._sane.TYPE_STRING and isinstance(value, str):
        return value
    if option.type == sane._sane.TYPE_BOOL and isinstance(value, bool | int):
        return int(bool(value))
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if option.type == sane._sane.TYPE_FIXED and numeric:
        return float(value)
    if option.type == sane._sane.TYPE_INT and numeric and float(value).is_integer():
        return int(value)
    raise InvalidInputError(f"scanner option {option.name} takes a {_type_word(option.type)}, not {value!r}")


def _type_word(option_type: int) -> str:
    words = {sane._sane.TYPE_STRING: "text", sane._sane.TYPE_BOOL: "yes/no value",
             sane._sane.TYPE_FIXED: "number", sane._sane.TYPE_INT: "whole number"}
    return words.get(option_type, "value")


def _check_constraint(option, value) -> None:
    constraint = option.constraint
    if isinstance(constraint, list) and not any(_same(value, item) for item in constraint):
        allowed = ", ".join(str(item) for item in constraint)
        raise InvalidInputError(f"scanner option {option.name} cannot be {value!r}; allowed: {allowed}")
    if isinstance(constraint, tuple):
        low, high, step = constraint
        if not low <= value <= high or not _on_step(value, low, step):
            every = f" in steps of {step:g}" if step else ""
            raise InvalidInputError(f"scanner option {option.name} cannot be {value!r}; "
                                    f"allowed: {low:g} to {high:g}{every}")


def _same(value, item) -> bool:
    if isinstance(value, float) and isinstance(item, float):
        return abs(value - item) < 1e-3  # see _on_step
    return value == item


def _on_step(value, low, step) -> bool:
    if not step:
        return True
    steps = (value - low) / step
    # SANE_Fixed values carry 16 fractional bits, so a float range check needs a little slack.
    return abs(steps - round(steps)) < 1e-3
