# cython: boundscheck=False, wraparound=False, cdivision=True
"""Inline helpers shared by the packetizer modules (no module of its own)."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize

cdef enum:
    FRAME_START = 1  # the payload begins a frame (codec start bit, first NAL, ...)
    KEYFRAME = 2  # the payload belongs to a keyframe and is its first packet


cdef inline bytes new_bytes(Py_ssize_t n, unsigned char **out):
    """A fresh ``bytes`` of length ``n`` and a pointer to write its contents."""
    cdef bytes b = PyBytes_FromStringAndSize(NULL, n)
    out[0] = <unsigned char *>PyBytes_AS_STRING(b)
    return b


cdef inline Py_ssize_t fragment_count(Py_ssize_t total, Py_ssize_t capacity) noexcept:
    """How many fragments of at most ``capacity`` bytes carry ``total`` bytes."""
    return (total + capacity - 1) // capacity


cdef inline Py_ssize_t fragment_size(Py_ssize_t total, Py_ssize_t count, Py_ssize_t i) noexcept:
    """Size of fragment ``i`` of ``count`` balanced fragments.

    Like libwebrtc, the bytes are spread evenly instead of full fragments and a tiny last one,
    but every fragment except the last has the same size (``ceil(total / count)``) and the
    last is at most ``count - 1`` bytes shorter: a frame's packets then leave as one UDP
    segmentation-offload run (all equal, a shorter last), which sizes that differ by one
    byte in both directions would split.
    """
    cdef Py_ssize_t base = (total + count - 1) // count
    return base if i < count - 1 else total - base * (count - 1)
