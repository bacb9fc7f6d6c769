# The C layout of pyrtc._native.rtp.RtpPacket (native/rtp.pyx), so other native modules
# (the jitter buffer) read a packet's fields without Python attribute calls.

cimport cython
from libc.stdint cimport uint8_t, uint16_t, uint32_t


@cython.final
cdef class RtpPacket:
    cdef uint8_t _payload_type
    cdef bint _marker
    cdef uint16_t _sequence_number
    cdef uint32_t _timestamp
    cdef uint32_t _ssrc
    cdef uint8_t _padding_size
    # Python views, None until first read when the packet came from parse()
    cdef list _csrc
    cdef dict _extensions
    cdef bytes _payload
    # the parsed datagram and where its parts are
    cdef bytes _data
    cdef Py_ssize_t _csrc_count
    cdef Py_ssize_t _ext_offset  # start of the 4-byte extension header; -1 when absent
    cdef Py_ssize_t _ext_length  # bytes of extension data after that header
    cdef Py_ssize_t _payload_offset
    cdef Py_ssize_t _payload_length

    cdef void _detached_views(self)
    cdef bytes payload_bytes(self)
    cdef bytes _serialize(self, Py_ssize_t reserve)


cdef RtpPacket parse_bytes(bytes buf)
