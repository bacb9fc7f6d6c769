// pyrtc demo page: joins a room over the signaling WebSocket (protocol v1, see
// docs/signaling.md), calls another participant with camera + microphone, chats over a
// data channel and shows live getStats() numbers. No external resources.
'use strict';

const $ = (id) => document.getElementById(id);

const ERROR_TEXT = {
  'token-expired': 'Your token has expired. Ask for a new one (pyrtc token).',
  'token-invalid': 'The token is not valid for this server.',
  'token-wrong-room': 'The token was issued for another room.',
  'token-wrong-algorithm': 'The token is signed with an algorithm this server does not accept.',
  'room-full': 'The room is full.',
  'too-many-rooms': 'The server cannot open more rooms right now.',
  'server-full': 'The server is full right now.',
  'too-many-connections': 'Too many connections from your address.',
  'rate-limited': 'Too many messages: the server disconnected this page.',
  'idle-timeout': 'Disconnected after being idle.',
  'message-too-large': 'A message was too large for the server.',
  'bad-message': 'The server did not understand a message.',
  'unknown-peer': 'That participant has left.',
};

const state = {
  ws: null,
  token: '',
  id: null,
  peers: new Map(),
  pc: null,
  channel: null,
  remoteId: null,
  localStream: null,
  iceServers: [],
  relayOnly: false,
  queue: Promise.resolve(),
  pingTimer: null,
  statsTimer: null,
  lastStats: null,
  errorShown: false,
};

function setStatus(text) {
  $('status').textContent = text;
}

function showError(text) {
  state.errorShown = true;
  $('error').textContent = text;
  $('error').hidden = false;
}

function clearError() {
  state.errorShown = false;
  $('error').hidden = true;
  $('error').textContent = '';
}

function send(message) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify({ v: 1, ...message }));
  }
}

function updateButtons() {
  const joined = state.id !== null;
  const inCall = state.pc !== null;
  $('call').disabled = !joined || inCall || state.peers.size === 0;
  $('hangup').disabled = !inCall;
  $('join').disabled = joined;
  const chatOpen = state.channel !== null && state.channel.readyState === 'open';
  $('chat-input').disabled = !chatOpen;
  $('chat-send').disabled = !chatOpen;
}

function renderPeers() {
  const list = $('peers');
  list.replaceChildren();
  for (const [id, user] of state.peers) {
    const item = document.createElement('li');
    item.textContent = `${user} (${id})`;
    list.append(item);
  }
  updateButtons();
}

function join(event) {
  event?.preventDefault();
  clearError();
  const room = $('room').value.trim();
  state.token = $('token').value.trim();
  if (!room || !state.token) {
    showError('Enter a room and a token first.');
    return;
  }
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${scheme}//${location.host}/ws`);
  state.ws = ws;
  setStatus('connecting…');
  ws.onopen = () => send({ type: 'join', room, token: state.token });
  ws.onmessage = (e) => {
    let message;
    try {
      message = JSON.parse(e.data);
    } catch {
      showError('The server sent something that is not JSON.');
      return;
    }
    // One message at a time: a candidate must wait for the offer it belongs to.
    state.queue = state.queue.then(() => handle(message)).catch((err) => {
      showError(`Error: ${err.message || err}`);
    });
  };
  ws.onclose = (e) => {
    if (!state.errorShown && e.code !== 1000) {
      showError(`The signaling connection closed (code ${e.code}${e.reason ? ': ' + e.reason : ''}).`);
    }
    setStatus(`disconnected (${e.code})`);
    clearInterval(state.pingTimer);
    state.ws = null;
    state.id = null;
    state.peers.clear();
    renderPeers();
  };
  ws.onerror = () => setStatus('connection error');
}

async function handle(message) {
  switch (message.type) {
    case 'joined':
      state.id = message.id;
      $('me').textContent = `${message.user} (${message.id})`;
      $('room-name').textContent = message.room;
      for (const peer of message.peers) state.peers.set(peer.id, peer.user);
      setStatus(`in room ${message.room} as ${message.user}`);
      state.pingTimer = setInterval(() => send({ type: 'ping' }), 20000);
      renderPeers();
      await Promise.all([startMedia(), fetchTurn()]);
      break;
    case 'peer-joined':
      state.peers.set(message.id, message.user);
      renderPeers();
      break;
    case 'peer-left':
      state.peers.delete(message.id);
      if (message.id === state.remoteId) endCall('the other side left');
      renderPeers();
      break;
    case 'offer':
      await answerCall(message.from, message.sdp);
      break;
    case 'answer':
      if (state.pc && message.from === state.remoteId) {
        await state.pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
      }
      break;
    case 'candidate':
      if (state.pc && message.from === state.remoteId) {
        await state.pc.addIceCandidate(message.candidate ?? undefined);
      }
      break;
    case 'error':
      showError(`${ERROR_TEXT[message.code] || 'Error.'} (${message.code}: ${message.message})`);
      break;
    case 'pong':
      break;
  }
}

async function startMedia() {
  if (state.localStream) return;
  try {
    state.localStream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    $('local').srcObject = state.localStream;
  } catch (err) {
    const reason = err.name === 'NotAllowedError'
      ? 'Camera/microphone permission was denied: calls will have no local media.'
      : err.name === 'NotFoundError'
        ? 'No camera or microphone was found: calls will have no local media.'
        : `Cannot open camera/microphone (${err.name}: ${err.message}).`;
    showError(reason);
  }
}

async function fetchTurn() {
  try {
    const response = await fetch('/api/turn', {
      headers: { Authorization: `Bearer ${state.token}` },
    });
    if (response.status === 200) state.iceServers = (await response.json()).iceServers;
  } catch {
    // No TURN credentials: host and server-reflexive candidates only.
  }
}

function createConnection(remoteId) {
  if (state.relayOnly && state.iceServers.length === 0) {
    showError('Relay-only was asked for (#relay=1) but this server hands out no TURN server.');
  }
  const pc = new RTCPeerConnection({
    iceServers: state.iceServers,
    iceTransportPolicy: state.relayOnly ? 'relay' : 'all',
  });
  state.pc = pc;
  state.remoteId = remoteId;
  $('remote-name').textContent = `${state.peers.get(remoteId) || ''} (${remoteId})`;
  if (state.localStream) {
    for (const track of state.localStream.getTracks()) pc.addTrack(track, state.localStream);
  }
  pc.onicecandidate = (e) => {
    send({ type: 'candidate', to: remoteId, candidate: e.candidate ? e.candidate.toJSON() : null });
  };
  pc.ontrack = (e) => {
    $('remote').srcObject = e.streams[0] || new MediaStream([e.track]);
  };
  pc.ondatachannel = (e) => setupChannel(e.channel);
  pc.onconnectionstatechange = () => {
    $('call-state').textContent = pc.connectionState;
    if (pc.connectionState === 'failed') endCall('the connection failed');
  };
  state.statsTimer = setInterval(updateStats, 1000);
  updateButtons();
  return pc;
}

async function call() {
  const remoteId = state.peers.keys().next().value;
  if (remoteId === undefined || state.pc) return;
  const pc = createConnection(remoteId);
  setupChannel(pc.createDataChannel('chat'));
  await pc.setLocalDescription(await pc.createOffer());
  send({ type: 'offer', to: remoteId, sdp: pc.localDescription.sdp });
  $('call-state').textContent = 'calling';
}

async function answerCall(from, sdp) {
  if (state.pc) return; // busy: one call at a time
  const pc = createConnection(from);
  await pc.setRemoteDescription({ type: 'offer', sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  send({ type: 'answer', to: from, sdp: pc.localDescription.sdp });
}

function endCall(why) {
  if (!state.pc) return;
  clearInterval(state.statsTimer);
  state.channel?.close();
  state.pc.close();
  state.pc = null;
  state.channel = null;
  state.remoteId = null;
  state.lastStats = null;
  $('remote').srcObject = null;
  $('remote-name').textContent = '';
  $('call-state').textContent = `ended: ${why}`;
  updateButtons();
}

function setupChannel(channel) {
  state.channel = channel;
  channel.onopen = updateButtons;
  channel.onclose = () => endCall('the other side hung up');
  channel.onmessage = (e) => appendChat(state.peers.get(state.remoteId) || 'them', String(e.data), false);
  updateButtons();
}

function appendChat(who, text, mine) {
  const item = document.createElement('li');
  if (mine) item.className = 'me';
  item.textContent = `${who}: ${text}`;
  $('chat-log').append(item);
  item.scrollIntoView({ block: 'nearest' });
}

function sendChat(event) {
  event.preventDefault();
  const text = $('chat-input').value;
  if (!text || !state.channel || state.channel.readyState !== 'open') return;
  state.channel.send(text);
  appendChat('me', text, true);
  $('chat-input').value = '';
}

function formatBitrate(bits) {
  return bits >= 1e6 ? `${(bits / 1e6).toFixed(2)} Mbit/s` : `${(bits / 1e3).toFixed(0)} kbit/s`;
}

async function updateStats() {
  const pc = state.pc;
  if (!pc) return;
  const report = await pc.getStats();
  let rtt = null;
  let path = null;
  let received = 0;
  let sent = 0;
  let lost = 0;
  let packets = 0;
  const jitter = {};
  let timestamp = 0;
  report.forEach((stat) => {
    timestamp = Math.max(timestamp, stat.timestamp);
    if (stat.type === 'candidate-pair' && stat.nominated && stat.state === 'succeeded') {
      if (stat.currentRoundTripTime !== undefined) rtt = stat.currentRoundTripTime;
      const local = report.get(stat.localCandidateId);
      const remote = report.get(stat.remoteCandidateId);
      if (local && remote) {
        path = `${local.candidateType}/${local.protocol} → ${remote.candidateType}`;
      }
    } else if (stat.type === 'inbound-rtp') {
      received += stat.bytesReceived || 0;
      lost += stat.packetsLost || 0;
      packets += stat.packetsReceived || 0;
      if (stat.jitter !== undefined) jitter[stat.kind] = stat.jitter;
    } else if (stat.type === 'outbound-rtp') {
      sent += stat.bytesSent || 0;
    }
  });
  $('stat-rtt').textContent = rtt === null ? '—' : `${(rtt * 1000).toFixed(1)} ms`;
  $('stat-path').textContent = path ?? '—';
  const last = state.lastStats;
  if (last && timestamp > last.timestamp) {
    const seconds = (timestamp - last.timestamp) / 1000;
    $('stat-bitrate-in').textContent = formatBitrate(((received - last.received) * 8) / seconds);
    $('stat-bitrate-out').textContent = formatBitrate(((sent - last.sent) * 8) / seconds);
  }
  state.lastStats = { timestamp, received, sent };
  const total = lost + packets;
  $('stat-loss').textContent = total ? `${((100 * lost) / total).toFixed(2)} % (${lost} lost)` : '—';
  const parts = Object.entries(jitter).map(([kind, value]) => `${kind} ${(value * 1000).toFixed(1)} ms`);
  $('stat-jitter').textContent = parts.length ? parts.join(', ') : '—';
}

function init() {
  $('join-form').addEventListener('submit', join);
  $('call').addEventListener('click', () => call().catch((err) => showError(`Call failed: ${err.message}`)));
  $('hangup').addEventListener('click', () => endCall('you hung up'));
  $('chat-form').addEventListener('submit', sendChat);
  // A link from `pyrtc token --url` carries room and token in the fragment, which the
  // browser never sends to a server; drop it from the address bar once read.
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get('room')) $('room').value = params.get('room');
  state.relayOnly = params.get('relay') === '1';
  if (params.get('token')) {
    $('token').value = params.get('token');
    history.replaceState(null, '', location.pathname + location.search);
    join();
  }
}

init();
