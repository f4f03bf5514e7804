"""QR codes drawn on the server: no outside service ever sees a secret or a binding code."""

from __future__ import annotations

import base64
import io


def qr_data_uri(text: str) -> str:
    """A QR code drawn on the server (no outside service sees the secret)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    image.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()
