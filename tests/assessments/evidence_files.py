"""Real files for the evidence tests: small JPEG, PNG and WebP images drawn by Pillow, a
minimal PDF, and look-alikes that must be refused."""

from __future__ import annotations

import io
import os

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

PDF = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)


def image(fmt: str = "JPEG", *, colour: str | tuple[int, int, int] = "red", size=(24, 16)) -> bytes:
    """An image in `fmt`; another colour gives other bytes (and another SHA-256)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    return buffer.getvalue()


def noisy_png(side: int) -> bytes:
    """A PNG of random grey pixels: it does not compress, so it is about side² bytes."""
    buffer = io.BytesIO()
    Image.frombytes("L", (side, side), os.urandom(side * side)).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(colour: str | tuple[int, int, int] = "red") -> bytes:
    return image("JPEG", colour=colour)


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
