"""Errors of the codec layer."""

from pyrtc.errors import Error, ParseError


class CodecError(Error):
    """An encoder or decoder could not be created or used."""


class CodecUnavailableError(CodecError):
    """The codec is unknown, or this FFmpeg build has no encoder/decoder for it."""


class DecodeError(CodecError, ParseError):
    """An encoded frame from the network could not be decoded."""
