"""Application helpers that are not part of the WebRTC protocol stack (aiortc's ``contrib``)."""
