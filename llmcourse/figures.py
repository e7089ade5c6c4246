"""Matplotlib figures as PNG bytes: the one way the widget and the live loss curve draw."""

import io


def png(figure, dpi: int = 90) -> bytes:
    """The figure rendered as a PNG (works with any backend, no pyplot needed)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
