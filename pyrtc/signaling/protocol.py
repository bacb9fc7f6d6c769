"""The pyrtc signaling protocol, version 1: JSON text messages over one WebSocket.

Every message is a JSON object with ``"v": 1`` and a ``"type"``. A client first sends
``join`` (room name and a JWT), then relays ``offer``/``answer``/``candidate`` to another
participant by id (``"to"``); the server delivers them with ``"from"`` set to the sender's
id. Presence is pushed as ``peer-joined``/``peer-left``. Errors are ``error`` messages with
a stable ``code``; fatal ones are followed by a close with the code in :data:`CLOSE_CODES`.

Validation is a hand-written schema (:data:`CLIENT_SCHEMA`, :data:`SERVER_SCHEMA`): exact
key sets, JSON types, length limits. Anything else raises :class:`SignalingParseError`.
The same codec serves the server (parse client messages, encode server messages) and
:class:`pyrtc.signaling.SignalingClient` (the other way round).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pyrtc.signaling.errors import SignalingParseError

VERSION: Final = 1

MAX_ID = 64
MAX_SDP = 1 << 16
MAX_CANDIDATE = 1024
MAX_TOKEN = 4096
MAX_MESSAGE_TEXT = 512

ROOM_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# JSON \u escapes can smuggle lone surrogates, which no UTF-8 encoder will send on.
_SURROGATE = re.compile("[\ud800-\udfff]")

# WebSocket close codes (RFC 6455 §7.4: 4000-4999 are for applications).
CLOSE_NORMAL: Final = 1000
CLOSE_GOING_AWAY: Final = 1001
CLOSE_TOO_BIG: Final = 1009
CLOSE_TRY_AGAIN_LATER: Final = 1013
CLOSE_BAD_MESSAGE: Final = 4400
CLOSE_UNAUTHORIZED: Final = 4401
CLOSE_IDLE: Final = 4408
CLOSE_ROOM_FULL: Final = 4409
CLOSE_RATE_LIMITED: Final = 4429
CLOSE_SERVER_FULL: Final = 4503

CLOSE_CODES: Final[Mapping[str, int | None]] = {
    "bad-message": CLOSE_BAD_MESSAGE,
    "unsupported-version": CLOSE_BAD_MESSAGE,
    "not-joined": CLOSE_BAD_MESSAGE,
    "already-joined": CLOSE_BAD_MESSAGE,
    "message-too-large": CLOSE_TOO_BIG,
    "token-invalid": CLOSE_UNAUTHORIZED,
    "token-expired": CLOSE_UNAUTHORIZED,
    "token-wrong-room": CLOSE_UNAUTHORIZED,
    "token-wrong-algorithm": CLOSE_UNAUTHORIZED,
    "idle-timeout": CLOSE_IDLE,
    "room-full": CLOSE_ROOM_FULL,
    "rate-limited": CLOSE_RATE_LIMITED,
    "too-many-connections": CLOSE_RATE_LIMITED,
    "too-many-rooms": CLOSE_SERVER_FULL,
    "server-full": CLOSE_SERVER_FULL,
    "slow-consumer": CLOSE_TRY_AGAIN_LATER,
    "unknown-peer": None,
}
"""Every error code and the close code that follows it (``None``: the connection stays)."""


@dataclass(frozen=True)
class IceCandidate:
    """A trickled candidate, in the browser's ``RTCIceCandidateInit`` shape."""

    candidate: str
    sdp_mid: str | None = None
    sdp_mline_index: int | None = None
    username_fragment: str | None = None


@dataclass(frozen=True)
class Participant:
    """Someone in a room: server-assigned ``id`` and the user name from their token."""

    id: str
    user: str


@dataclass(frozen=True)
class Join:
    """client -> server: enter ``room``, authenticated by ``token`` (a JWT)."""

    room: str
    token: str


@dataclass(frozen=True)
class Offer:
    """An SDP offer; ``peer`` is ``to`` from a client and ``from`` from the server."""

    peer: str
    sdp: str


@dataclass(frozen=True)
class Answer:
    """An SDP answer; ``peer`` as in :class:`Offer`."""

    peer: str
    sdp: str


@dataclass(frozen=True)
class Candidate:
    """A trickled ICE candidate, ``None`` meaning end of candidates; ``peer`` as in Offer."""

    peer: str
    candidate: IceCandidate | None


@dataclass(frozen=True)
class Leave:
    """client -> server: leave the room; the server closes with 1000."""


@dataclass(frozen=True)
class Ping:
    """client -> server: keep-alive (resets the idle timer); answered by :class:`Pong`."""


@dataclass(frozen=True)
class Pong:
    """server -> client: answer to :class:`Ping`."""


@dataclass(frozen=True)
class Joined:
    """server -> client: the join succeeded; ``peers`` were already in the room."""

    room: str
    id: str
    user: str
    peers: tuple[Participant, ...]


@dataclass(frozen=True)
class PeerJoined:
    """server -> client: someone entered the room."""

    peer: Participant


@dataclass(frozen=True)
class PeerLeft:
    """server -> client: participant ``id`` left the room (or was disconnected)."""

    id: str


@dataclass(frozen=True)
class ErrorMessage:
    """server -> client: ``code`` is one of :data:`CLOSE_CODES`; ``message`` is for humans."""

    code: str
    message: str


ClientMessage = Join | Offer | Answer | Candidate | Leave | Ping
ServerMessage = Joined | PeerJoined | PeerLeft | Offer | Answer | Candidate | Pong | ErrorMessage


@dataclass(frozen=True)
class Field:
    """Schema of one JSON member: accepted types, maximum length of a string, optional."""

    types: tuple[type, ...]
    max_len: int = 0
    optional: bool = False


def _str(max_len: int) -> Field:
    return Field((str,), max_len)


def _nullable_str(max_len: int) -> Field:
    return Field((str, type(None)), max_len, optional=True)


_CANDIDATE_SCHEMA: Final[Mapping[str, Field]] = {
    "candidate": _str(MAX_CANDIDATE),
    "sdpMid": _nullable_str(MAX_ID),
    "sdpMLineIndex": Field((int, type(None)), optional=True),
    "usernameFragment": _nullable_str(256),
}

_PARTICIPANT_SCHEMA: Final[Mapping[str, Field]] = {"id": _str(MAX_ID), "user": _str(MAX_ID)}

CLIENT_SCHEMA: Final[Mapping[str, Mapping[str, Field]]] = {
    "join": {"room": _str(64), "token": _str(MAX_TOKEN)},
    "offer": {"to": _str(MAX_ID), "sdp": _str(MAX_SDP)},
    "answer": {"to": _str(MAX_ID), "sdp": _str(MAX_SDP)},
    "candidate": {"to": _str(MAX_ID), "candidate": Field((dict, type(None)))},
    "leave": {},
    "ping": {},
}
"""Members of each client message besides ``v`` and ``type``."""

SERVER_SCHEMA: Final[Mapping[str, Mapping[str, Field]]] = {
    "joined": {
        "room": _str(64),
        "id": _str(MAX_ID),
        "user": _str(MAX_ID),
        "peers": Field((list,)),
    },
    "peer-joined": {"id": _str(MAX_ID), "user": _str(MAX_ID)},
    "peer-left": {"id": _str(MAX_ID)},
    "offer": {"from": _str(MAX_ID), "sdp": _str(MAX_SDP)},
    "answer": {"from": _str(MAX_ID), "sdp": _str(MAX_SDP)},
    "candidate": {"from": _str(MAX_ID), "candidate": Field((dict, type(None)))},
    "pong": {},
    "error": {"code": _str(64), "message": _str(MAX_MESSAGE_TEXT)},
}
"""Members of each server message besides ``v`` and ``type``."""


def _reject_constant(name: str) -> None:
    raise SignalingParseError("bad-message", f"{name} is not JSON")


def _check(obj: Mapping[str, Any], schema: Mapping[str, Field], what: str) -> None:
    unknown = obj.keys() - schema.keys()
    if unknown:
        raise SignalingParseError("bad-message", f"{what}: unknown member {sorted(unknown)[0]!r}")
    for name, field in schema.items():
        if name not in obj:
            if field.optional:
                continue
            raise SignalingParseError("bad-message", f"{what}: missing {name!r}")
        value = obj[name]
        # bool is an int in Python, never a valid index or string here.
        if isinstance(value, bool) or not isinstance(value, field.types):
            raise SignalingParseError("bad-message", f"{what}: {name!r} has the wrong type")
        if isinstance(value, str):
            if field.max_len and len(value) > field.max_len:
                raise SignalingParseError("bad-message", f"{what}: {name!r} is too long")
            if _SURROGATE.search(value):
                raise SignalingParseError("bad-message", f"{what}: {name!r} is not UTF-8")


def _load(text: str) -> tuple[str, dict[str, Any]]:
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, SignalingParseError):
            raise
        raise SignalingParseError("bad-message", "not valid JSON") from None
    if not isinstance(obj, dict):
        raise SignalingParseError("bad-message", "a message is a JSON object")
    version = obj.pop("v", None)
    kind = obj.pop("type", None)
    if isinstance(version, bool) or not isinstance(version, int):
        raise SignalingParseError("bad-message", "missing protocol version 'v'")
    if version != VERSION:
        raise SignalingParseError("unsupported-version", f"version {version} (this is {VERSION})")
    if not isinstance(kind, str):
        raise SignalingParseError("bad-message", "missing message 'type'")
    return kind, obj


def _candidate(value: dict[str, Any] | None) -> IceCandidate | None:
    if value is None:
        return None
    _check(value, _CANDIDATE_SCHEMA, "candidate")
    index = value.get("sdpMLineIndex")
    if index is not None and not 0 <= index < 1024:
        raise SignalingParseError("bad-message", "candidate: sdpMLineIndex out of range")
    return IceCandidate(
        value["candidate"], value.get("sdpMid"), index, value.get("usernameFragment")
    )


def _candidate_json(candidate: IceCandidate | None) -> dict[str, Any] | None:
    if candidate is None:
        return None
    return {
        "candidate": candidate.candidate,
        "sdpMid": candidate.sdp_mid,
        "sdpMLineIndex": candidate.sdp_mline_index,
        "usernameFragment": candidate.username_fragment,
    }


def parse_client_message(text: str) -> ClientMessage:
    """Decode and validate one message a client sent (the server's side of the codec)."""
    kind, obj = _load(text)
    schema = CLIENT_SCHEMA.get(kind)
    if schema is None:
        raise SignalingParseError("bad-message", f"unknown message type {kind[:32]!r}")
    _check(obj, schema, kind)
    if kind == "join":
        if not ROOM_PATTERN.fullmatch(obj["room"]):
            raise SignalingParseError("bad-message", "room: 1-64 of A-Z a-z 0-9 _ . -")
        return Join(obj["room"], obj["token"])
    if kind == "offer":
        return Offer(obj["to"], obj["sdp"])
    if kind == "answer":
        return Answer(obj["to"], obj["sdp"])
    if kind == "candidate":
        return Candidate(obj["to"], _candidate(obj["candidate"]))
    return Leave() if kind == "leave" else Ping()


def parse_server_message(text: str) -> ServerMessage:
    """Decode and validate one message the server sent (the client's side of the codec)."""
    kind, obj = _load(text)
    schema = SERVER_SCHEMA.get(kind)
    if schema is None:
        raise SignalingParseError("bad-message", f"unknown message type {kind[:32]!r}")
    _check(obj, schema, kind)
    if kind == "joined":
        peers = []
        for item in obj["peers"]:
            if not isinstance(item, dict):
                raise SignalingParseError("bad-message", "joined: a peer is an object")
            _check(item, _PARTICIPANT_SCHEMA, "peer")
            peers.append(Participant(item["id"], item["user"]))
        return Joined(obj["room"], obj["id"], obj["user"], tuple(peers))
    if kind == "peer-joined":
        return PeerJoined(Participant(obj["id"], obj["user"]))
    if kind == "peer-left":
        return PeerLeft(obj["id"])
    if kind == "offer":
        return Offer(obj["from"], obj["sdp"])
    if kind == "answer":
        return Answer(obj["from"], obj["sdp"])
    if kind == "candidate":
        return Candidate(obj["from"], _candidate(obj["candidate"]))
    if kind == "pong":
        return Pong()
    return ErrorMessage(obj["code"], obj["message"])


def _dump(kind: str, members: dict[str, Any]) -> str:
    return json.dumps({"v": VERSION, "type": kind, **members}, separators=(",", ":"))


def encode_client_message(message: ClientMessage) -> str:
    """The JSON text of a client message."""
    match message:
        case Join(room, token):
            return _dump("join", {"room": room, "token": token})
        case Offer(peer, sdp):
            return _dump("offer", {"to": peer, "sdp": sdp})
        case Answer(peer, sdp):
            return _dump("answer", {"to": peer, "sdp": sdp})
        case Candidate(peer, candidate):
            return _dump("candidate", {"to": peer, "candidate": _candidate_json(candidate)})
        case Leave():
            return _dump("leave", {})
        case Ping():
            return _dump("ping", {})
    raise TypeError(f"not a client message: {message!r}")


def encode_server_message(message: ServerMessage) -> str:
    """The JSON text of a server message."""
    match message:
        case Joined(room, ident, user, peers):
            listed = [{"id": p.id, "user": p.user} for p in peers]
            return _dump("joined", {"room": room, "id": ident, "user": user, "peers": listed})
        case PeerJoined(peer):
            return _dump("peer-joined", {"id": peer.id, "user": peer.user})
        case PeerLeft(ident):
            return _dump("peer-left", {"id": ident})
        case Offer(peer, sdp):
            return _dump("offer", {"from": peer, "sdp": sdp})
        case Answer(peer, sdp):
            return _dump("answer", {"from": peer, "sdp": sdp})
        case Candidate(peer, candidate):
            return _dump("candidate", {"from": peer, "candidate": _candidate_json(candidate)})
        case Pong():
            return _dump("pong", {})
        case ErrorMessage(code, text):
            return _dump("error", {"code": code, "message": text[:MAX_MESSAGE_TEXT]})
    raise TypeError(f"not a server message: {message!r}")
