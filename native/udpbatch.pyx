# cython: boundscheck=False, wraparound=False
"""Batched UDP I/O: many datagrams per system call with Linux ``recvmmsg``/``sendmmsg``,
and UDP segmentation offload (GSO, ``UDP_SEGMENT``) and receive coalescing (GRO, ``UDP_GRO``).

A peer connection or a media pipeline moves bursts of datagrams; one ``recvfrom``/``sendto``
per datagram makes the system call the dominant cost. These two functions move up to
:data:`CHUNK` messages per call. With GSO, one message carries a run of equal-sized
datagrams to one destination and the kernel cuts it into datagrams after routing, so the
stack's per-datagram work is done once per run; with GRO enabled on a socket the kernel
hands over such runs as one buffer, which :func:`recv_many` cuts apart again.
Elsewhere (``AVAILABLE`` false) both raise ``OSError`` (ENOSYS); :mod:`pyrtc.net.batch`
then uses per-datagram socket calls instead.

Everything runs with the GIL held, so the module's scratch buffers are never shared.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.exc cimport PyErr_CheckSignals
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from libc.errno cimport EAGAIN, EINTR, errno
from libc.string cimport memcmp, memcpy, memset

cdef extern from *:
    """
    #include <errno.h>
    #include <string.h>
    #include <sys/types.h>
    #include <sys/socket.h>
    #include <netinet/in.h>
    #include <arpa/inet.h>
    #include <net/if.h>
    #include <netinet/udp.h>
    #ifndef SOL_UDP
    #define SOL_UDP 17
    #endif
    #ifndef UDP_SEGMENT
    #define UDP_SEGMENT 103
    #endif
    #ifndef UDP_GRO
    #define UDP_GRO 104
    #endif
    #if defined(__linux__)
    #define UDPBATCH_HAVE_MMSG 1
    #else
    #define UDPBATCH_HAVE_MMSG 0
    struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; };
    static int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags, void *t)
    { (void)fd; (void)v; (void)n; (void)flags; (void)t; errno = ENOSYS; return -1; }
    static int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
    { (void)fd; (void)v; (void)n; (void)flags; errno = ENOSYS; return -1; }
    #endif
    #ifndef MSG_DONTWAIT
    #define MSG_DONTWAIT 0
    #endif
    """
    int UDPBATCH_HAVE_MMSG
    int EWOULDBLOCK
    ctypedef unsigned int socklen_t
    ctypedef unsigned short sa_family_t
    int AF_INET
    int AF_INET6
    int MSG_DONTWAIT
    int MSG_TRUNC
    int EIO
    int EINVAL
    int ENOPROTOOPT
    int EOPNOTSUPP
    int SOL_UDP
    int UDP_SEGMENT
    int UDP_GRO
    enum:
        INET6_ADDRSTRLEN
        IF_NAMESIZE

    struct sockaddr:
        sa_family_t sa_family

    struct sockaddr_storage:
        sa_family_t ss_family

    struct in_addr:
        pass

    struct in6_addr:
        pass

    struct sockaddr_in:
        sa_family_t sin_family
        unsigned short sin_port
        in_addr sin_addr

    struct sockaddr_in6:
        sa_family_t sin6_family
        unsigned short sin6_port
        unsigned int sin6_flowinfo
        in6_addr sin6_addr
        unsigned int sin6_scope_id

    struct iovec:
        void *iov_base
        size_t iov_len

    struct msghdr:
        void *msg_name
        socklen_t msg_namelen
        iovec *msg_iov
        size_t msg_iovlen
        void *msg_control
        size_t msg_controllen
        int msg_flags

    struct mmsghdr:
        msghdr msg_hdr
        unsigned int msg_len

    struct cmsghdr:
        size_t cmsg_len
        int cmsg_level
        int cmsg_type

    cmsghdr *CMSG_FIRSTHDR(msghdr *msg)
    cmsghdr *CMSG_NXTHDR(msghdr *msg, cmsghdr *cmsg)
    unsigned char *CMSG_DATA(cmsghdr *cmsg)
    size_t CMSG_SPACE(size_t length)
    size_t CMSG_LEN(size_t length)

    int recvmmsg(int fd, mmsghdr *msgvec, unsigned int vlen, int flags, void *timeout)
    int sendmmsg(int fd, mmsghdr *msgvec, unsigned int vlen, int flags)
    const char *inet_ntop(int af, const void *src, char *dst, socklen_t size)
    int inet_pton(int af, const char *src, void *dst)
    unsigned short ntohs(unsigned short)
    unsigned short htons(unsigned short)
    char *if_indextoname(unsigned int ifindex, char *ifname)
    unsigned int if_nametoindex(const char *ifname)

AVAILABLE = bool(UDPBATCH_HAVE_MMSG)
"""Whether this platform has ``recvmmsg``/``sendmmsg`` (Linux)."""

DEF _CHUNK = 64
CHUNK = _CHUNK
"""Messages per system call; longer send lists are sent in chunks of this size."""
DEF _MAX_SEGMENTS = 64
MAX_SEGMENTS = _MAX_SEGMENTS
"""Most datagrams :func:`send_many` puts in one GSO message (the kernel allows 64 or more)."""
DEF _MAX_GSO_BYTES = 65507
"""Most payload bytes in one GSO message: what fits an IPv4 total length of 65535."""
DEF _SEND_IOVS = 1024
DEF _CONTROL_WORDS = 4
"""``unsigned long long`` words of control buffer per message: room for one ``int`` cmsg."""
SOL_UDP_LEVEL = SOL_UDP
UDP_GRO_OPTION = UDP_GRO
"""``setsockopt(SOL_UDP_LEVEL, UDP_GRO_OPTION, 1)`` lets the kernel coalesce datagrams."""
MAX_DATAGRAMS = 1024
"""Upper bound for ``max_datagrams`` of :func:`recv_many`."""
MAX_BUFSIZE = 65536
"""Upper bound for ``bufsize`` of :func:`recv_many` (the largest UDP payload is 65527)."""
_ADDRESS_CACHE_SIZE = 256

cdef mmsghdr _send_msgs[_CHUNK]
cdef iovec _send_iovs[_SEND_IOVS]
cdef sockaddr_storage _send_names[_CHUNK]
cdef unsigned long long _send_controls[_CHUNK][_CONTROL_WORDS]
cdef Py_ssize_t _send_segments[_CHUNK]
cdef bint _gso_disabled = False

cdef char *_recv_buffer = NULL
cdef size_t _recv_buffer_size = 0
cdef mmsghdr *_recv_msgs = NULL
cdef iovec *_recv_iovs = NULL
cdef sockaddr_storage *_recv_names = NULL
cdef unsigned long long *_recv_controls = NULL
cdef unsigned int _recv_slots = 0
cdef unsigned int _recv_ready = 0
"""Slots whose message headers are set up for ``_recv_bufsize`` (reset after each use)."""
cdef size_t _recv_bufsize = 0
cdef sockaddr_storage _last_name
cdef socklen_t _last_namelen = 0
cdef object _last_address = None
"""The source of the previous datagram and its ``(host, port)``: bursts come from one peer."""

cdef unsigned long long _truncated = 0
cdef dict _sockaddrs = {}


def truncated_count():
    """How many datagrams :func:`recv_many` dropped because they exceeded ``bufsize``."""
    return _truncated


def gso_available():
    """Whether :func:`send_many` still uses GSO when asked to: false on platforms without
    ``sendmmsg`` and once a GSO send failed in a way that says the path cannot segment."""
    return bool(UDPBATCH_HAVE_MMSG) and not _gso_disabled


cdef int _reserve_recv(unsigned int count, size_t bufsize) except -1:
    """Grow the module's receive scratch space (kept between calls) to ``count`` slots."""
    global _recv_buffer, _recv_buffer_size, _recv_msgs, _recv_iovs, _recv_names, _recv_slots
    global _recv_controls, _recv_ready
    cdef size_t need = <size_t>count * bufsize
    cdef void *grown
    if need > _recv_buffer_size:
        grown = PyMem_Realloc(_recv_buffer, need)
        if grown == NULL:
            raise MemoryError()
        _recv_buffer = <char *>grown
        _recv_buffer_size = need
        _recv_ready = 0  # the slots point into the old buffer
    if count > _recv_slots:
        grown = PyMem_Realloc(_recv_msgs, count * sizeof(mmsghdr))
        if grown == NULL:
            raise MemoryError()
        _recv_msgs = <mmsghdr *>grown
        grown = PyMem_Realloc(_recv_iovs, count * sizeof(iovec))
        if grown == NULL:
            raise MemoryError()
        _recv_iovs = <iovec *>grown
        grown = PyMem_Realloc(_recv_names, count * sizeof(sockaddr_storage))
        if grown == NULL:
            raise MemoryError()
        _recv_names = <sockaddr_storage *>grown
        grown = PyMem_Realloc(
            _recv_controls, count * _CONTROL_WORDS * sizeof(unsigned long long)
        )
        if grown == NULL:
            raise MemoryError()
        _recv_controls = <unsigned long long *>grown
        _recv_slots = count
        _recv_ready = 0
    return 0


cdef object _address(sockaddr_storage *name, socklen_t namelen):
    """``(host, port)`` of a received datagram's source, as ``socket.recvfrom`` spells it."""
    cdef char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2]
    cdef char ifname[IF_NAMESIZE + 1]
    cdef sockaddr_in *v4
    cdef sockaddr_in6 *v6
    cdef bytes host
    if name.ss_family == AF_INET and namelen >= sizeof(sockaddr_in):
        v4 = <sockaddr_in *>name
        if inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text)) == NULL:
            raise OSError(errno, "inet_ntop failed")
        return (text.decode("ascii"), ntohs(v4.sin_port))
    if name.ss_family == AF_INET6 and namelen >= sizeof(sockaddr_in6):
        v6 = <sockaddr_in6 *>name
        if inet_ntop(AF_INET6, &v6.sin6_addr, text, INET6_ADDRSTRLEN) == NULL:
            raise OSError(errno, "inet_ntop failed")
        host = text
        if v6.sin6_scope_id != 0:  # link-local: "fe80::1%eth0", as Python's recvfrom
            if if_indextoname(v6.sin6_scope_id, ifname) != NULL:
                host += b"%" + ifname
            else:
                host += b"%" + str(v6.sin6_scope_id).encode("ascii")
        return (host.decode("ascii"), ntohs(v6.sin6_port))
    raise OSError(0, f"unsupported source address family {name.ss_family}")


cdef int _gro_size(msghdr *hdr):
    """The segment size of a coalesced (GRO) message, or 0 for a single datagram."""
    cdef int size = 0
    cdef cmsghdr *cmsg = CMSG_FIRSTHDR(hdr)
    while cmsg != NULL:
        if (
            cmsg.cmsg_level == SOL_UDP
            and cmsg.cmsg_type == UDP_GRO
            and cmsg.cmsg_len >= CMSG_LEN(sizeof(int))
        ):
            memcpy(&size, CMSG_DATA(cmsg), sizeof(int))
        cmsg = CMSG_NXTHDR(hdr, cmsg)
    return size


def recv_many(int fd, int max_datagrams=64, int bufsize=2048):
    """Receive up to ``max_datagrams`` waiting messages with one ``recvmmsg`` call.

    Returns ``[(payload, (host, port)), ...]`` in arrival order, ``[]`` when nothing is
    waiting (EAGAIN; the call never blocks). On a socket with ``UDP_GRO`` enabled one
    message may be a run of datagrams the kernel coalesced; it is cut apart again, so the
    list can be longer than ``max_datagrams`` (such a socket needs ``bufsize`` 65536, or
    the kernel truncates runs). A message longer than ``bufsize`` is dropped and counted
    (:func:`truncated_count`). Raises ``OSError`` for any other error, e.g. an ICMP error
    queued on the socket; when some datagrams were already received, the error is reported
    by the next call instead.
    """
    global _recv_ready, _recv_bufsize
    cdef int n, i
    cdef int flags = MSG_DONTWAIT
    cdef list received = []
    if max_datagrams < 1 or max_datagrams > MAX_DATAGRAMS:
        raise ValueError(f"max_datagrams must be 1..{MAX_DATAGRAMS}, got {max_datagrams}")
    if bufsize < 1 or bufsize > MAX_BUFSIZE:
        raise ValueError(f"bufsize must be 1..{MAX_BUFSIZE}, got {bufsize}")
    if fd < 0:
        raise ValueError(f"negative file descriptor {fd}")
    _reserve_recv(<unsigned int>max_datagrams, <size_t>bufsize)
    if _recv_bufsize != <size_t>bufsize:
        _recv_ready = 0
        _recv_bufsize = bufsize
    for i in range(_recv_ready, max_datagrams):  # set up once, then only reset after use
        _recv_iovs[i].iov_base = _recv_buffer + <size_t>i * bufsize
        _recv_iovs[i].iov_len = bufsize
        _reset_slot(i)
    if <unsigned int>max_datagrams > _recv_ready:
        _recv_ready = max_datagrams
    while True:
        n = recvmmsg(fd, _recv_msgs, <unsigned int>max_datagrams, flags, NULL)
        if n >= 0:
            break
        if errno == EAGAIN or errno == EWOULDBLOCK:
            return received
        if errno != EINTR:
            raise OSError(errno, "recvmmsg failed")
        PyErr_CheckSignals()  # PEP 475: retry unless a signal handler raised
    try:
        for i in range(n):
            _receive_slot(i, received)
    finally:
        for i in range(n):
            _reset_slot(i)
    return received


cdef void _reset_slot(int i) noexcept:
    """Make receive slot ``i`` ready for ``recvmmsg`` (the kernel rewrote its lengths)."""
    cdef mmsghdr *msg = &_recv_msgs[i]
    msg.msg_len = 0
    msg.msg_hdr.msg_name = &_recv_names[i]
    msg.msg_hdr.msg_namelen = sizeof(sockaddr_storage)
    msg.msg_hdr.msg_iov = &_recv_iovs[i]
    msg.msg_hdr.msg_iovlen = 1
    msg.msg_hdr.msg_control = &_recv_controls[<size_t>i * _CONTROL_WORDS]
    msg.msg_hdr.msg_controllen = _CONTROL_WORDS * sizeof(unsigned long long)
    msg.msg_hdr.msg_flags = 0


cdef int _receive_slot(int i, list received) except -1:
    """Append the datagram(s) of filled receive slot ``i`` to ``received``."""
    global _truncated, _last_namelen, _last_address
    cdef mmsghdr *msg = &_recv_msgs[i]
    cdef char *base
    cdef unsigned int offset, length
    cdef int segment
    cdef object address
    if msg.msg_hdr.msg_flags & MSG_TRUNC:
        _truncated += 1
        return 0
    if (
        _last_address is None
        or _last_namelen != msg.msg_hdr.msg_namelen
        or memcmp(&_last_name, &_recv_names[i], _last_namelen) != 0
    ):
        _last_address = None
        address = _address(&_recv_names[i], msg.msg_hdr.msg_namelen)
        memcpy(&_last_name, &_recv_names[i], msg.msg_hdr.msg_namelen)
        _last_namelen = msg.msg_hdr.msg_namelen
        _last_address = address
    address = _last_address
    base = <char *>_recv_iovs[i].iov_base
    length = msg.msg_len
    segment = _gro_size(&msg.msg_hdr) if msg.msg_hdr.msg_controllen else 0
    if segment <= 0 or <unsigned int>segment >= length:
        received.append((PyBytes_FromStringAndSize(base, length), address))
        return 0
    offset = 0
    while offset < length:  # a coalesced run: every datagram but the last is `segment`
        received.append(
            (PyBytes_FromStringAndSize(base + offset, min(<unsigned int>segment, length - offset)), address)
        )
        offset += <unsigned int>segment
    return 0


cdef bytes _sockaddr(object address):
    """The ``sockaddr`` bytes for ``(host, port)``, from a small cache (same peer each time)."""
    cdef sockaddr_in v4
    cdef sockaddr_in6 v6
    cdef bytes raw
    if type(address) is not tuple or len(address) != 2:
        raise TypeError(f"address must be a (host, port) tuple, got {address!r}")
    host, port = address
    if type(host) is not str:
        raise TypeError(f"host must be str, got {type(host).__name__}")
    if type(port) is not int:
        raise TypeError(f"port must be int, got {type(port).__name__}")
    cdef object cached = _sockaddrs.get(address)
    if cached is not None:
        return <bytes>cached
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be 0..65535, got {port}")
    scope = None
    if ":" in host:
        text, _, scope = host.partition("%")
        encoded = text.encode("ascii", "replace")
        memset(&v6, 0, sizeof(v6))
        v6.sin6_family = AF_INET6
        v6.sin6_port = htons(port)
        if b"\0" in encoded or inet_pton(AF_INET6, encoded, &v6.sin6_addr) != 1:
            raise ValueError(f"not a numeric IPv6 address: {host!r}")
        if scope:
            if scope.isdigit():
                v6.sin6_scope_id = int(scope) & 0xFFFFFFFF
            else:
                name = scope.encode("ascii", "replace")
                v6.sin6_scope_id = 0 if b"\0" in name else if_nametoindex(name)
                if v6.sin6_scope_id == 0:
                    raise ValueError(f"unknown interface in {host!r}")
        raw = (<char *>&v6)[:sizeof(v6)]
    else:
        encoded = host.encode("ascii", "replace")
        memset(&v4, 0, sizeof(v4))
        v4.sin_family = AF_INET
        v4.sin_port = htons(port)
        if b"\0" in encoded or inet_pton(AF_INET, encoded, &v4.sin_addr) != 1:
            raise ValueError(f"not a numeric IPv4 address: {host!r}")
        raw = (<char *>&v4)[:sizeof(v4)]
    if len(_sockaddrs) >= _ADDRESS_CACHE_SIZE:
        _sockaddrs.clear()
    _sockaddrs[address] = raw
    return raw


cdef Py_ssize_t _run_length(list items, list raws, Py_ssize_t first, Py_ssize_t total, Py_ssize_t room):
    """How many datagrams from ``first`` on can share one GSO message: the same destination,
    the size of the first, except a shorter last one; at most ``room`` and 64 KiB."""
    cdef Py_ssize_t size = PyBytes_GET_SIZE(<bytes>(<tuple>items[first])[0])
    cdef Py_ssize_t count = 1, length
    cdef Py_ssize_t payload = size
    cdef object raw = raws[first]
    if size == 0:
        return 1
    while first + count < total and count < _MAX_SEGMENTS and count < room:
        if raws[first + count] is not raw:
            break
        length = PyBytes_GET_SIZE(<bytes>(<tuple>items[first + count])[0])
        if length > size or length == 0 or payload + length > _MAX_GSO_BYTES:
            break
        count += 1
        payload += length
        if length < size:
            break
    return count


def send_many(int fd, datagrams, bint gso=False):
    """Send ``[(payload, (host, port)), ...]`` with ``sendmmsg``, :data:`CHUNK` messages per call.

    ``payload`` must be ``bytes`` and ``host`` a numeric IPv4/IPv6 address (no name lookup).
    An address of ``None`` sends to a connected socket's peer (its route stays cached; an
    explicit address costs a route lookup per datagram).
    With ``gso``, runs of consecutive datagrams to one destination whose sizes are equal
    (the last may be shorter) go out as one ``UDP_SEGMENT`` message each. The receiver sees
    the same datagrams either way. When the kernel refuses segmentation on this path
    (EIO, EINVAL, ...), GSO is switched off for the process (:func:`gso_available`) and
    the datagrams go out one message each.
    Returns how many leading datagrams the kernel took. It stops early when the socket
    would block (EAGAIN) or when a datagram fails after others were sent; sending the rest
    again reports that datagram's error. Raises ``OSError`` when the first datagram fails
    with an error other than EAGAIN, ``TypeError``/``ValueError`` for malformed entries
    (before anything is sent).
    """
    global _gso_disabled
    cdef Py_ssize_t total, start, index, count, i, m, iov, sent_total = 0
    cdef int n, messages
    cdef bint segmenting
    cdef bytes data
    cdef object raw
    cdef tuple item
    cdef cmsghdr *cmsg
    cdef unsigned short segment
    cdef mmsghdr *msg
    cdef list items = list(datagrams)  # holds every payload while the kernel reads it
    if fd < 0:
        raise ValueError(f"negative file descriptor {fd}")
    total = len(items)
    # Validate and convert everything first: a bad entry must not leave half a list sent.
    cdef list raws = []
    for obj in items:
        if type(obj) is not tuple or len(<tuple>obj) != 2:
            raise TypeError(f"each datagram must be a (bytes, (host, port)) tuple, got {obj!r}")
        item = <tuple>obj
        if type(item[0]) is not bytes:
            raise TypeError(f"payload must be bytes, got {type(item[0]).__name__}")
        raws.append(None if item[1] is None else _sockaddr(item[1]))
    start = 0
    while start < total:
        segmenting = gso and not _gso_disabled
        messages = 0
        iov = 0
        index = start
        while index < total and messages < _CHUNK and iov < _SEND_IOVS:
            count = _run_length(items, raws, index, total, _SEND_IOVS - iov) if segmenting else 1
            msg = &_send_msgs[messages]
            memset(msg, 0, sizeof(mmsghdr))
            raw = raws[index]
            if raw is not None:
                memcpy(&_send_names[messages], PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw))
                msg.msg_hdr.msg_name = &_send_names[messages]
                msg.msg_hdr.msg_namelen = <socklen_t>PyBytes_GET_SIZE(raw)
            for i in range(count):
                data = <bytes>(<tuple>items[index + i])[0]
                _send_iovs[iov + i].iov_base = PyBytes_AS_STRING(data)
                _send_iovs[iov + i].iov_len = PyBytes_GET_SIZE(data)
            msg.msg_hdr.msg_iov = &_send_iovs[iov]
            msg.msg_hdr.msg_iovlen = <size_t>count
            if count > 1:
                segment = <unsigned short>_send_iovs[iov].iov_len
                msg.msg_hdr.msg_control = &_send_controls[messages][0]
                msg.msg_hdr.msg_controllen = CMSG_SPACE(sizeof(unsigned short))
                memset(&_send_controls[messages][0], 0, sizeof(_send_controls[messages]))
                cmsg = CMSG_FIRSTHDR(&msg.msg_hdr)
                cmsg.cmsg_level = SOL_UDP
                cmsg.cmsg_type = UDP_SEGMENT
                cmsg.cmsg_len = CMSG_LEN(sizeof(unsigned short))
                memcpy(CMSG_DATA(cmsg), &segment, sizeof(unsigned short))
            _send_segments[messages] = count
            messages += 1
            iov += count
            index += count
        n = sendmmsg(fd, _send_msgs, <unsigned int>messages, MSG_DONTWAIT)
        if n < 0:
            if errno == EINTR:
                PyErr_CheckSignals()
                continue
            if _send_segments[0] > 1 and (
                errno == EIO or errno == EINVAL or errno == ENOPROTOOPT or errno == EOPNOTSUPP
            ):
                _gso_disabled = True  # this path cannot segment: plain datagrams from now on
                continue
            if errno == EAGAIN or errno == EWOULDBLOCK or sent_total > 0:
                return sent_total
            raise OSError(errno, "sendmmsg failed")
        for m in range(n):
            sent_total += _send_segments[m]
        start = sent_total
        if n < messages:  # the next datagram failed; its error is reported by the next call
            return sent_total
    return sent_total
