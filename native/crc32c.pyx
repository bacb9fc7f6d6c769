# cython: boundscheck=False, wraparound=False
"""CRC-32C (Castagnoli) checksum, the SCTP packet checksum of RFC 9260 Appendix B.

Hardware CRC32 instruction when available, slicing-by-8 otherwise.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stdint cimport uint32_t

cdef extern from "crc32c_impl.h":
    uint32_t pyrtc_crc32c_update(uint32_t crc, const unsigned char *p, size_t n) nogil
    uint32_t pyrtc_crc32c_update_portable(uint32_t crc, const unsigned char *p, size_t n) nogil


def crc32c(data, uint32_t value=0):
    """Return the CRC-32C of ``data`` (any contiguous buffer), continuing from ``value``."""
    cdef const unsigned char[::1] view
    if type(data) is bytes:  # fast path: no buffer acquisition
        return pyrtc_crc32c_update(
            value, <const unsigned char *>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data)
        )
    view = data
    if view.shape[0] == 0:
        return value
    return pyrtc_crc32c_update(value, &view[0], view.shape[0])


def crc32c_portable(const unsigned char[::1] data not None, uint32_t value=0):
    """Same result as :func:`crc32c`, always through the table path that CPUs without the
    CRC32 instruction take (slicing-by-8 on little-endian hosts; for tests)."""
    if data.shape[0] == 0:
        return value
    return pyrtc_crc32c_update_portable(value, &data[0], data.shape[0])
