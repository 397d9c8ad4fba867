"""Numbers of a review as people read them."""

from django import template

register = template.Library()


@register.filter
def pct(value, digits: int = 1) -> str:
    """0.1234 → 12.3%; nothing → —."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def signed_pct(value) -> str:
    """A change: +12.3% / −4.0%; nothing → —."""
    if value is None:
        return "—"
    return f"{'+' if value > 0 else '−' if value < 0 else '±'}{abs(float(value)) * 100:.1f}%"


@register.filter
def num(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


@register.filter
def rate_of(figure: dict) -> bool:
    """Whether a trend figure is a rate (shown as a percentage) rather than a count."""
    return figure["key"] in ("on_time_rate", "reopen_rate", "unsatisfied_share")


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def split_words(text: str) -> list[str]:
    return text.split()


@register.filter
def index(sequence, position: int):
    try:
        return sequence[int(position)]
    except (IndexError, TypeError, ValueError):
        return None
