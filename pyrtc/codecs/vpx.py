"""Real-time VP8/VP9 encoding through libvpx's C API (``ctypes``), with live bitrate changes.

FFmpeg's libvpx wrapper reads the bitrate only when it opens. Driving libvpx directly lets a
new target reach ``vpx_codec_enc_config_set`` between two frames, without a keyframe and
without reopening the encoder, as libwebrtc's VP8 encoder does.

Library: the libvpx the PyAV wheel ships (``<site-packages>/av.libs``, already loaded by
libavcodec), else the system's ``libvpx``. Nothing is compiled against libvpx headers, so the
structure layouts this module assumes are checked against the library once, in :func:`load`,
before any encoder is created:

* ``vpx_codec_enc_config_default`` must fill the ``vpx_codec_enc_cfg_t`` fields at the
  assumed offsets with libvpx's documented defaults (320x240, time base 1/30, 256 kbit/s,
  buffer 6000/4000/5000 ms, automatic keyframes every 128 frames, ...);
* ``vpx_img_wrap`` must describe a known buffer as I420 at the assumed ``vpx_image_t``
  offsets (plane pointers and strides where expected);
* a 64x48 encoder with the real-time settings must turn a forced keyframe and a frame after
  a bitrate change into one key and one delta frame.

The encoder ABI version (``VPX_ENCODER_ABI_VERSION``, a sum of sub-versions that changes
between libvpx releases) is found by a bounded probe rather than a table of releases:
``vpx_codec_enc_init_ver`` compares the version first and, given no context and no
configuration, returns ``VPX_CODEC_ABI_MISMATCH`` for a wrong one and
``VPX_CODEC_INVALID_PARAM`` for the right one, touching nothing. Every buffer handed to libvpx
is allocated well beyond the structure's real size. If any check fails, :func:`load` returns
``None`` (or leaves that codec out) and :class:`pyrtc.codecs.VideoEncoder` keeps using FFmpeg.

``vpx_codec_control_`` is variadic; it is called with a fixed ``int`` prototype, which the
x86-64 and AArch64 Linux/Windows calling conventions pass the same way. macOS on ARM64 passes
variadic arguments differently, so the module declines to load there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import glob
import os
import platform
import sys
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import av

from pyrtc.codecs.base import EncodedFrame
from pyrtc.codecs.errors import CodecError

__all__ = ["KEYFRAME_INTERVAL", "Libvpx", "VpxEncoder", "load"]

# vpx_codec.h / vpx_encoder.h / vpx_image.h / vp8cx.h constants
_VPX_CODEC_OK = 0
_VPX_CODEC_ABI_MISMATCH = 3
_VPX_CODEC_INVALID_PARAM = 8
_VPX_IMG_FMT_I420 = 0x102  # VPX_IMG_FMT_PLANAR | 2
_VPX_CBR = 1
_VPX_RC_ONE_PASS = 0
_VPX_KF_AUTO = 1
_VPX_EFLAG_FORCE_KF = 1
_VPX_FRAME_IS_KEY = 0x1
_VPX_CODEC_CX_FRAME_PKT = 0
_VPX_DL_REALTIME = 1
_VP8E_SET_CPUUSED = 13
_VP8E_SET_STATIC_THRESHOLD = 17
_VP8E_SET_MAX_INTRA_BITRATE_PCT = 26
_VP9E_SET_AQ_MODE = 36

# Every structure handed to libvpx gets this many bytes (the real ones are below 600).
_STRUCT_BYTES = 4096
_MAX_ABI_VERSION = 128  # probe bound; libvpx 1.16 is at 39
_MAX_PACKETS = 16  # per encoded frame: one frame packet, maybe a statistics packet
_MAX_KBPS = 1_000_000  # accepted unchecked; VP8 multiplies it by 1000 in an int: 1e9 still fits

_CODECS = ("vp8", "vp9")
KEYFRAME_INTERVAL = 3000  # frames; keyframes come from PLI/FIR, not from a short interval


class _Rational(ctypes.Structure):
    _fields_ = [("num", ctypes.c_int), ("den", ctypes.c_int)]


class _FixedBuffer(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_void_p), ("sz", ctypes.c_size_t)]


class _EncoderConfig(ctypes.Structure):
    """The leading fields of ``vpx_codec_enc_cfg_t`` (vpx_encoder.h), up to ``kf_max_dist``."""

    _fields_ = [
        ("g_usage", ctypes.c_uint),
        ("g_threads", ctypes.c_uint),
        ("g_profile", ctypes.c_uint),
        ("g_w", ctypes.c_uint),
        ("g_h", ctypes.c_uint),
        ("g_bit_depth", ctypes.c_int),
        ("g_input_bit_depth", ctypes.c_uint),
        ("g_timebase", _Rational),
        ("g_error_resilient", ctypes.c_uint32),
        ("g_pass", ctypes.c_int),
        ("g_lag_in_frames", ctypes.c_uint),
        ("rc_dropframe_thresh", ctypes.c_uint),
        ("rc_resize_allowed", ctypes.c_uint),
        ("rc_scaled_width", ctypes.c_uint),
        ("rc_scaled_height", ctypes.c_uint),
        ("rc_resize_up_thresh", ctypes.c_uint),
        ("rc_resize_down_thresh", ctypes.c_uint),
        ("rc_end_usage", ctypes.c_int),
        ("rc_twopass_stats_in", _FixedBuffer),
        ("rc_firstpass_mb_stats_in", _FixedBuffer),
        ("rc_target_bitrate", ctypes.c_uint),
        ("rc_min_quantizer", ctypes.c_uint),
        ("rc_max_quantizer", ctypes.c_uint),
        ("rc_undershoot_pct", ctypes.c_uint),
        ("rc_overshoot_pct", ctypes.c_uint),
        ("rc_buf_sz", ctypes.c_uint),
        ("rc_buf_initial_sz", ctypes.c_uint),
        ("rc_buf_optimal_sz", ctypes.c_uint),
        ("rc_2pass_vbr_bias_pct", ctypes.c_uint),
        ("rc_2pass_vbr_minsection_pct", ctypes.c_uint),
        ("rc_2pass_vbr_maxsection_pct", ctypes.c_uint),
        ("rc_2pass_vbr_corpus_complexity", ctypes.c_uint),
        ("kf_mode", ctypes.c_int),
        ("kf_min_dist", ctypes.c_uint),
        ("kf_max_dist", ctypes.c_uint),
    ]


class _Image(ctypes.Structure):
    """The leading fields of ``vpx_image_t`` (vpx_image.h), up to ``stride``."""

    _fields_ = [
        ("fmt", ctypes.c_int),
        ("cs", ctypes.c_int),
        ("range", ctypes.c_int),
        ("w", ctypes.c_uint),
        ("h", ctypes.c_uint),
        ("bit_depth", ctypes.c_uint),
        ("d_w", ctypes.c_uint),
        ("d_h", ctypes.c_uint),
        ("r_w", ctypes.c_uint),
        ("r_h", ctypes.c_uint),
        ("x_chroma_shift", ctypes.c_uint),
        ("y_chroma_shift", ctypes.c_uint),
        ("planes", ctypes.c_void_p * 4),
        ("stride", ctypes.c_int * 4),
    ]


class _FramePacket(ctypes.Structure):
    """``vpx_codec_cx_pkt_t`` (vpx_encoder.h) read as a frame packet, up to ``flags``."""

    _fields_ = [
        ("kind", ctypes.c_int),
        ("buf", ctypes.c_void_p),
        ("sz", ctypes.c_size_t),
        ("pts", ctypes.c_int64),
        ("duration", ctypes.c_ulong),
        ("flags", ctypes.c_uint32),
    ]


_DEFAULTS = {  # vpx_codec_enc_config_default() for VP8 and VP9, identical in these fields
    "g_w": 320,
    "g_h": 240,
    "g_bit_depth": 8,
    "g_input_bit_depth": 8,
    "g_pass": _VPX_RC_ONE_PASS,
    "rc_resize_up_thresh": 60,
    "rc_resize_down_thresh": 30,
    "rc_target_bitrate": 256,
    "rc_max_quantizer": 63,
    "rc_buf_sz": 6000,
    "rc_buf_initial_sz": 4000,
    "rc_buf_optimal_sz": 5000,
    "rc_2pass_vbr_bias_pct": 50,
    "kf_mode": _VPX_KF_AUTO,
    "kf_max_dist": 128,
}


@dataclass(frozen=True)
class Libvpx:
    """A loaded libvpx whose structure layouts passed the checks, and its usable encoders."""

    lib: ctypes.CDLL
    version: str
    abi_version: int
    interfaces: dict[str, int]  # "vp8"/"vp9" -> vpx_codec_iface_t pointer


def _library_paths() -> Iterator[str]:
    """PyAV's bundled libvpx first; the system's only if that one is missing or fails."""
    bundled = os.path.join(os.path.dirname(os.path.dirname(av.__file__)), "av.libs")
    yield from sorted(glob.glob(os.path.join(bundled, "libvpx*.so*")))
    system = ctypes.util.find_library("vpx")  # may run ldconfig: only when needed
    if system is not None:
        yield system


def _declare(lib: ctypes.CDLL) -> None:
    """Give every libvpx function used here its C prototype (AttributeError if one is missing)."""
    vp = ctypes.c_void_p
    prototypes: dict[str, tuple[object, list[object]]] = {
        "vpx_codec_version": (ctypes.c_int, []),
        "vpx_codec_version_str": (ctypes.c_char_p, []),
        "vpx_codec_enc_config_default": (ctypes.c_int, [vp, vp, ctypes.c_uint]),
        "vpx_codec_enc_init_ver": (ctypes.c_int, [vp, vp, vp, ctypes.c_long, ctypes.c_int]),
        "vpx_codec_enc_config_set": (ctypes.c_int, [vp, vp]),
        "vpx_codec_control_": (ctypes.c_int, [vp, ctypes.c_int, ctypes.c_int]),
        "vpx_codec_encode": (
            ctypes.c_int,
            [vp, vp, ctypes.c_int64, ctypes.c_ulong, ctypes.c_long, ctypes.c_ulong],
        ),
        "vpx_codec_get_cx_data": (vp, [vp, ctypes.POINTER(vp)]),
        "vpx_codec_destroy": (ctypes.c_int, [vp]),
        "vpx_codec_error": (ctypes.c_char_p, [vp]),
        "vpx_codec_error_detail": (ctypes.c_char_p, [vp]),
        "vpx_img_wrap": (vp, [vp, ctypes.c_int, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint, vp]),
    }
    for name, (restype, argtypes) in prototypes.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes


def _interface(lib: ctypes.CDLL, codec: str) -> int | None:
    try:
        function = getattr(lib, f"vpx_codec_{codec}_cx")
    except AttributeError:  # a libvpx built without this encoder
        return None
    function.restype = ctypes.c_void_p
    function.argtypes = []
    pointer = function()
    return pointer if isinstance(pointer, int) and pointer else None


def _defaults_match(lib: ctypes.CDLL, iface: int) -> bool:
    """Whether libvpx's default configuration shows up where :class:`_EncoderConfig` says."""
    buffer = ctypes.create_string_buffer(_STRUCT_BYTES)
    if lib.vpx_codec_enc_config_default(iface, buffer, 0) != _VPX_CODEC_OK:
        return False
    config = _EncoderConfig.from_buffer(buffer)
    timebase = (config.g_timebase.num, config.g_timebase.den)
    return timebase == (1, 30) and all(getattr(config, k) == v for k, v in _DEFAULTS.items())


def _image_layout_matches(lib: ctypes.CDLL) -> bool:
    """Whether ``vpx_img_wrap`` lays out a 64x48 I420 buffer where :class:`_Image` says."""
    width, height = 64, 48
    data = ctypes.create_string_buffer(width * height * 3 // 2)
    image_buffer = ctypes.create_string_buffer(_STRUCT_BYTES)
    if not lib.vpx_img_wrap(image_buffer, _VPX_IMG_FMT_I420, width, height, 1, data):
        return False
    image = _Image.from_buffer(image_buffer)
    base = ctypes.addressof(data)
    luma, chroma = width * height, (width // 2) * (height // 2)
    return (
        (image.fmt, image.w, image.h, image.d_w, image.d_h)
        == (_VPX_IMG_FMT_I420, width, height, width, height)
        and (image.bit_depth, image.x_chroma_shift, image.y_chroma_shift) == (8, 1, 1)
        and list(image.planes[:3]) == [base, base + luma, base + luma + chroma]
        and list(image.stride[:3]) == [width, width // 2, width // 2]
    )


def _abi_version(lib: ctypes.CDLL, iface: int) -> int | None:
    """``VPX_ENCODER_ABI_VERSION`` of this libvpx, by the side-effect-free probe (see above)."""
    for version in range(1, _MAX_ABI_VERSION):
        result = lib.vpx_codec_enc_init_ver(None, iface, None, 0, version)
        if result == _VPX_CODEC_INVALID_PARAM:
            return version
        if result != _VPX_CODEC_ABI_MISMATCH:
            return None
    return None


def _self_test(library: Libvpx, codec: str) -> bool:
    """A forced keyframe, a bitrate change, then a delta frame, on a 64x48 encoder."""
    frame = av.VideoFrame(64, 48, "yuv420p")
    for plane in frame.planes:
        plane.update(bytes(i % 251 for i in range(plane.buffer_size)))
    try:
        encoder = VpxEncoder(library, codec, (64, 48), 200_000, 30)
        try:
            first = encoder.encode(frame, 0, keyframe=True)
            encoder.set_bitrate(100_000)
            second = encoder.encode(frame, 3000, keyframe=False)
        finally:
            encoder.close()
    except CodecError:
        return False
    return [(f.timestamp, f.keyframe) for f in first + second] == [(0, True), (3000, False)]


def _load_from(path: str) -> Libvpx | None:
    try:
        lib = ctypes.CDLL(path)
        _declare(lib)
    except (OSError, AttributeError):
        return None
    interfaces = {}
    for codec in _CODECS:
        iface = _interface(lib, codec)
        if iface is not None and _defaults_match(lib, iface):
            interfaces[codec] = iface
    if not interfaces or not _image_layout_matches(lib):
        return None
    abi_versions = {_abi_version(lib, iface) for iface in interfaces.values()}
    if len(abi_versions) != 1 or None in abi_versions:
        return None
    (abi_version,) = abi_versions
    assert abi_version is not None
    raw = lib.vpx_codec_version_str()
    version = raw.decode("ascii", "replace") if isinstance(raw, bytes) else "?"
    library = Libvpx(lib, version, abi_version, interfaces)
    working = {c: i for c, i in interfaces.items() if _self_test(library, c)}
    return Libvpx(lib, version, abi_version, working) if working else None


@functools.cache
def load() -> Libvpx | None:
    """The checked libvpx (cached), or ``None`` when there is none or a check failed."""
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return None
    for path in _library_paths():
        library = _load_from(path)
        if library is not None:
            return library
    return None


def _kbps(bitrate: int) -> int:
    return max(1, min(_MAX_KBPS, (bitrate + 500) // 1000))


class VpxEncoder:
    """One libvpx encoder for frames of one size, set up as libwebrtc sets up VP8.

    One pass, CBR, no look-ahead, a 1 s decoder buffer (500 ms initial, 600 ms optimal),
    undershoot 100 %, overshoot 15 %, no error-resilient mode (one temporal layer), no frame
    dropping, automatic keyframes only every 3000 frames. VP8: speed -6, static threshold 1,
    keyframes capped by ``VP8E_SET_MAX_INTRA_BITRATE_PCT`` as libwebrtc computes it; VP9:
    speed 8 and cyclic-refresh adaptive quantization (aq-mode 3).
    """

    def __init__(
        self, library: Libvpx, codec: str, size: tuple[int, int], bitrate: int, framerate: int
    ) -> None:
        if codec not in library.interfaces:
            raise CodecError(f"this libvpx has no usable {codec} encoder")
        width, height = size
        if not (0 < width <= 16384 and 0 < height <= 16384):
            raise CodecError(f"libvpx cannot encode {width}x{height}")
        lib = library.lib
        iface = library.interfaces[codec]
        self._lib = lib
        self._size = size
        self._duration = max(1, 90000 // max(1, framerate))
        self._max_frame_bytes = 2 * width * height + 65536
        self._context = ctypes.create_string_buffer(_STRUCT_BYTES)
        self._config_buffer = ctypes.create_string_buffer(_STRUCT_BYTES)
        self._check(lib.vpx_codec_enc_config_default(iface, self._config_buffer, 0), "config")
        config = _EncoderConfig.from_buffer(self._config_buffer)
        config.g_w, config.g_h = width, height
        config.g_timebase.num, config.g_timebase.den = 1, 90000
        config.g_threads = 2 if width * height >= 640 * 480 and (os.cpu_count() or 1) > 1 else 1
        config.g_error_resilient = 0
        config.g_pass = _VPX_RC_ONE_PASS
        config.g_lag_in_frames = 0
        config.rc_dropframe_thresh = 0
        config.rc_resize_allowed = 0
        config.rc_end_usage = _VPX_CBR
        config.rc_target_bitrate = _kbps(bitrate)
        config.rc_min_quantizer = 2
        config.rc_max_quantizer = 56 if codec == "vp8" else 52
        config.rc_undershoot_pct = 100
        config.rc_overshoot_pct = 15
        config.rc_buf_initial_sz = 500
        config.rc_buf_optimal_sz = 600
        config.rc_buf_sz = 1000
        config.kf_mode = _VPX_KF_AUTO
        config.kf_min_dist = 0
        config.kf_max_dist = KEYFRAME_INTERVAL
        self._config = config

        result = lib.vpx_codec_enc_init_ver(
            self._context, iface, self._config_buffer, 0, library.abi_version
        )
        if result != _VPX_CODEC_OK:
            raise CodecError(f"cannot open libvpx {codec}: {self._error()}")
        self._finalizer = weakref.finalize(self, lib.vpx_codec_destroy, self._context)
        # vpx_codec_ctx_t starts with the name and the interface pointers
        pointer_size = ctypes.sizeof(ctypes.c_void_p)
        if ctypes.c_void_p.from_buffer(self._context, pointer_size).value != iface:
            self.close()
            raise CodecError("libvpx's codec context is not laid out as expected")
        if codec == "vp8":
            # MaxIntraTarget(optimal buffer): 0.5 x 600 ms at the frame rate, at least 300 %
            intra_pct = max(300, 600 * framerate // 20)
            controls = [
                (_VP8E_SET_CPUUSED, -6),
                (_VP8E_SET_STATIC_THRESHOLD, 1),
                (_VP8E_SET_MAX_INTRA_BITRATE_PCT, intra_pct),
            ]
        else:
            controls = [(_VP8E_SET_CPUUSED, 8), (_VP9E_SET_AQ_MODE, 3)]
        for control, value in controls:
            if lib.vpx_codec_control_(self._context, control, value) != _VPX_CODEC_OK:
                message = self._error()
                self.close()
                raise CodecError(f"libvpx refused control {control}: {message}")

        # The image descriptor: vpx_img_wrap fills every field for a scratch buffer; each
        # frame then only points the planes at the caller's data.
        self._scratch = ctypes.create_string_buffer(
            width * height + 2 * ((width + 1) // 2) * ((height + 1) // 2)
        )
        self._image_buffer = ctypes.create_string_buffer(_STRUCT_BYTES)
        if not lib.vpx_img_wrap(
            self._image_buffer, _VPX_IMG_FMT_I420, width, height, 1, self._scratch
        ):
            self.close()
            raise CodecError("vpx_img_wrap failed")
        self._image = _Image.from_buffer(self._image_buffer)

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    def set_bitrate(self, bitrate: int) -> None:
        """Retarget rate control (``vpx_codec_enc_config_set``): the next frame follows it."""
        self._config.rc_target_bitrate = _kbps(bitrate)
        result = self._lib.vpx_codec_enc_config_set(self._context, self._config_buffer)
        self._check(result, "config_set")

    def encode(self, frame: av.VideoFrame, pts: int, keyframe: bool) -> list[EncodedFrame]:
        """Encode a yuv420p frame of this encoder's size; ``pts`` in 90 kHz units."""
        if not self._finalizer.alive:
            raise CodecError("libvpx encoder is closed")
        width, height = self._size
        planes = frame.planes
        if frame.format.name != "yuv420p" or (frame.width, frame.height) != self._size:
            raise CodecError("libvpx encoder needs yuv420p frames of the size it was opened at")
        if len(planes) != 3:
            raise CodecError("a yuv420p frame must have three planes")
        chroma = ((width + 1) // 2, (height + 1) // 2)
        for index, (plane_width, plane_height) in enumerate([(width, height), chroma, chroma]):
            plane = planes[index]
            stride = plane.line_size
            if stride < plane_width or plane.buffer_size < stride * plane_height:
                raise CodecError("frame plane smaller than its size says")
            self._image.planes[index] = plane.buffer_ptr
            self._image.stride[index] = stride
        flags = _VPX_EFLAG_FORCE_KF if keyframe else 0
        result = self._lib.vpx_codec_encode(
            self._context, self._image_buffer, pts, self._duration, flags, _VPX_DL_REALTIME
        )
        self._check(result, "encode")
        return self._packets()

    def close(self) -> None:
        """Release the libvpx encoder (idempotent)."""
        self._finalizer()

    def _packets(self) -> list[EncodedFrame]:
        out = []
        iterator = ctypes.c_void_p()
        for _ in range(_MAX_PACKETS):
            address = self._lib.vpx_codec_get_cx_data(self._context, ctypes.byref(iterator))
            if not address:
                break
            packet = _FramePacket.from_address(address)
            if packet.kind != _VPX_CODEC_CX_FRAME_PKT:
                continue
            if not packet.buf or not 0 < packet.sz <= self._max_frame_bytes:
                raise CodecError(f"libvpx returned a frame packet of {packet.sz} bytes")
            data = ctypes.string_at(packet.buf, packet.sz)
            out.append(EncodedFrame(data, packet.pts, bool(packet.flags & _VPX_FRAME_IS_KEY)))
        return out

    def _error(self) -> str:
        message = self._lib.vpx_codec_error(self._context) or b"unknown error"
        detail = self._lib.vpx_codec_error_detail(self._context)
        text = bytes(message).decode("utf-8", "replace")
        return f"{text} ({bytes(detail).decode('utf-8', 'replace')})" if detail else text

    def _check(self, result: int, what: str) -> None:
        if result != _VPX_CODEC_OK:
            raise CodecError(f"libvpx {what} failed: {self._error()}")
