// Tandem softphone: one page, no framework. JsSIP (from npm, bundled at build
// time) speaks SIP over WebSocket (RFC 7118); the browser's RTCPeerConnection
// carries the audio. Everything the page shows is derived from `S` by render().

import JsSIP from 'jssip';

const STORAGE_KEY = 'tandem.phone.login.v1';
// No STUN/TURN: Tandem is reached directly and offers its own host candidates.
const PC_CONFIG = { iceServers: [], iceTransportPolicy: 'all' };
// The agent's voice should reach the far end as spoken: no browser processing.
const MIC_CONSTRAINTS = {
  audio: { echoCancellation: false, autoGainControl: false, noiseSuppression: false },
  video: false,
};
const REGISTER_RETRY_S = 15;
const DTMF_OPTIONS = { transportType: 'RFC2833', duration: 200, interToneGap: 100 };
const E164 = /^\+[1-9][0-9]{1,14}$/;
const DIALABLE = /^[0-9*#]{1,32}$/;

// ---------------------------------------------------------------- state

const S = {
  // logged-out | connecting | registering | registered | failed | network-lost | unregistered
  registration: 'logged-out',
  // idle | calling | ringing | incoming | answering | in-call
  call: 'idle',
  config: null, // { wsUrl, username, displayName, domain }
  ua: null,
  everConnected: false,
  loggingOut: false,
  session: null,
  direction: null, // 'outgoing' | 'incoming'
  remote: null, // { number, displayName, uri }
  target: null, // what was dialled
  localStream: null,
  muted: false,
  held: false, // held by us
  remoteHeld: false, // held by the other side
  answeredAt: null, // Date.now() when the call was answered
  dtmfSent: '',
  dialSeq: 0, // bumped per dial attempt and per hang-up
  error: null, // { kind, message, status, reason, seq, at }
  notice: null,
  errorSeq: 0,
  micLevel: 0, // 0..1 on the meter's scale
  micDbfs: -Infinity,
  stats: null, // last summary from getStats()
  timers: { clock: null, meter: null, stats: null, ring: null },
};

const $ = (id) => document.getElementById(id);
const el = {};

// ---------------------------------------------------------------- errors

function setError(kind, message, response) {
  S.errorSeq += 1;
  S.error = {
    kind,
    message,
    status: response ? response.status_code : null,
    reason: response ? response.reason_phrase : null,
    seq: S.errorSeq,
    at: Date.now(),
  };
  S.notice = null;
}

function clearError(...kinds) {
  if (S.error && (kinds.length === 0 || kinds.includes(S.error.kind))) S.error = null;
}

function setNotice(message) {
  S.notice = message;
}

function sipStatus(response) {
  return `SIP ${response.status_code} ${response.reason_phrase || ''}`.trim();
}

// Why a call did not connect, in words, from the final response.
function refusalText(response) {
  const code = response.status_code;
  let what = 'the call was refused';
  if (code === 486 || code === 600) what = 'the number is busy';
  else if (code === 404 || code === 604) what = 'the number was not found';
  else if (code === 403 || code === 603) what = 'the call was refused';
  else if (code === 480 || code === 408 || code === 410) what = 'the number is unavailable';
  else if (code === 484) what = 'the number is incomplete';
  else if (code === 488 || code === 606) what = 'no common audio format';
  else if (code === 401 || code === 407) what = 'the server did not accept your credentials';
  else if (code >= 500 && code < 600) what = 'the server could not place the call';
  return `${what} (${sipStatus(response)})`;
}

// ---------------------------------------------------------------- login

function defaultWsUrl() {
  if (!location.host) return 'ws://127.0.0.1:8080/ws';
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

function loadSaved() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null');
    return saved && typeof saved === 'object' ? saved : {};
  } catch {
    return {};
  }
}

function save(form) {
  try {
    const { wsUrl, username, displayName, domain } = form;
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ wsUrl, username, displayName, domain }));
  } catch {
    // Storage may be disabled (private mode); remembering is a convenience only.
  }
}

function fillLoginForm() {
  const saved = loadSaved();
  el.loginWs.value = saved.wsUrl || defaultWsUrl();
  el.loginUsername.value = saved.username || '';
  el.loginDisplayName.value = saved.displayName || '';
  el.loginDomain.value = saved.domain || '';
}

function onLoginSubmit(event) {
  event.preventDefault();
  unlockAudio();
  const wsUrl = el.loginWs.value.trim();
  // "alice@example.com" is user alice in domain example.com.
  const [username, userDomain = ''] = el.loginUsername.value.trim().split('@', 2);
  const password = el.loginPassword.value;
  const displayName = el.loginDisplayName.value.trim();
  let host;
  try {
    const url = new URL(wsUrl);
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new TypeError('scheme');
    host = url.hostname.replace(/^\[|\]$/g, '');
  } catch {
    setError('invalid-config', `The server must be a ws:// or wss:// URL, like ${defaultWsUrl()}.`);
    render();
    el.loginWs.focus();
    return;
  }
  const domain = el.loginDomain.value.trim() || userDomain || host;
  // Remember what was typed (the domain field only if it was filled in).
  save({ wsUrl, username: el.loginUsername.value.trim(), displayName, domain: el.loginDomain.value.trim() });
  login({ wsUrl, username, displayName, domain }, password);
}

function login(config, password) {
  stopUa();
  S.config = config;
  S.everConnected = false;
  S.loggingOut = false;
  S.error = null;
  S.notice = null;
  let ua;
  try {
    const socket = new JsSIP.WebSocketInterface(config.wsUrl);
    const hostPart = config.domain.includes(':') ? `[${config.domain}]` : config.domain;
    ua = new JsSIP.UA({
      sockets: [socket],
      uri: `sip:${config.username}@${hostPart}`,
      authorization_user: config.username,
      password,
      display_name: config.displayName || undefined,
      register: true,
      register_expires: 300,
      session_timers: false,
      no_answer_timeout: 60,
      connection_recovery_min_interval: 2,
      connection_recovery_max_interval: 30,
      user_agent: `Tandem softphone (JsSIP ${JsSIP.version})`,
    });
  } catch (err) {
    setError('invalid-config', `Cannot log in with these settings: ${err.message || err}.`);
    S.registration = 'logged-out';
    render();
    return;
  }
  S.ua = ua;
  S.registration = 'connecting';
  wireUa(ua);
  ua.start();
  el.loginPassword.value = '';
  render();
}

function wireUa(ua) {
  const mine = (fn) => (e) => {
    if (S.ua === ua && !S.loggingOut) fn(e);
  };
  ua.on('connecting', mine(() => {
    if (!S.everConnected && S.registration !== 'failed') S.registration = 'connecting';
    render();
  }));
  ua.on('connected', mine(() => {
    S.everConnected = true;
    S.registration = 'registering';
    clearError('unreachable', 'network-lost');
    render();
  }));
  ua.on('disconnected', mine((e) => {
    const why = e && e.code ? ` (WebSocket close code ${e.code}${e.reason ? `: ${e.reason}` : ''})` : '';
    if (S.everConnected) {
      S.registration = 'network-lost';
      setError(
        'network-lost',
        `Network lost: the connection to ${S.config.wsUrl} closed${why}. Reconnecting automatically; calls cannot be placed until registered again.`,
      );
    } else {
      S.registration = 'failed';
      setError(
        'unreachable',
        `Registration failed: cannot reach ${S.config.wsUrl}. Retrying automatically; check the server address if this persists.`,
      );
    }
    render();
  }));
  ua.on('registered', mine(() => {
    S.registration = 'registered';
    clearError('unreachable', 'network-lost', 'registration-failed', 'not-registered');
    render();
  }));
  ua.on('unregistered', mine(() => {
    if (S.registration !== 'network-lost') S.registration = 'unregistered';
    render();
  }));
  ua.on('registrationFailed', mine((e) => {
    const response = e.response;
    if (response && [401, 403, 407].includes(response.status_code)) {
      S.registration = 'failed';
      setError(
        'wrong-password',
        `Wrong username or password: the server refused the credentials for ${S.config.username} (${sipStatus(response)}).`,
        response,
      );
      // Nothing will get better by retrying: back to the form.
      stopUa();
      S.registration = 'failed';
      render();
      el.loginPassword.focus();
      return;
    }
    // Anything else (503 while the server drains, a timeout) may pass: retry.
    S.registration = 'failed';
    const detail = response ? sipStatus(response) : e.cause;
    setError('registration-failed', `Registration failed: ${detail}. Retrying in ${REGISTER_RETRY_S} s.`, response);
    render();
    setTimeout(() => {
      if (S.ua === ua && S.registration === 'failed' && ua.isConnected()) ua.register();
    }, REGISTER_RETRY_S * 1000);
  }));
  ua.on('newRTCSession', mine((e) => {
    if (e.originator === 'remote') onIncoming(e.session);
  }));
}

function stopUa() {
  const ua = S.ua;
  S.ua = null;
  if (ua) {
    try {
      ua.stop();
    } catch {
      // Already stopped.
    }
  }
}

function logout() {
  S.loggingOut = true;
  if (S.session) {
    try {
      S.session.terminate();
    } catch {
      // Already terminated.
    }
  }
  endCall();
  stopUa();
  S.registration = 'logged-out';
  S.error = null;
  S.notice = null;
  S.config = null;
  render();
  el.loginPassword.focus();
}

// ---------------------------------------------------------------- calls

// Returns a SIP URI string, or throws an Error with a message for the user.
function dialTarget(raw) {
  const text = raw.trim();
  if (!text) throw new Error('Enter a number (E.164, like +15550100) or a sip: address.');
  if (/^sips?:/i.test(text)) {
    const uri = JsSIP.URI.parse(text);
    if (!uri || !uri.user) throw new Error(`"${text}" is not a valid SIP address (sip:user@host).`);
    return uri.toString();
  }
  const number = text.replace(/[\s().-]/g, '');
  if (E164.test(number) || DIALABLE.test(number)) {
    const host = S.config.domain.includes(':') ? `[${S.config.domain}]` : S.config.domain;
    return `sip:${number}@${host}`;
  }
  throw new Error(`"${text}" is not a number: use E.164 (+ and up to 15 digits, like +15550100) or a sip: address.`);
}

function partyFromUri(uri, displayName) {
  return {
    number: (uri && uri.user) || '',
    displayName: displayName || '',
    uri: uri ? uri.toString() : '',
  };
}

async function getMicrophone() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw Object.assign(new Error('This page cannot use the microphone: open it over https:// or on localhost.'), {
      kind: 'microphone',
    });
  }
  try {
    return await navigator.mediaDevices.getUserMedia(MIC_CONSTRAINTS);
  } catch (err) {
    const denied = err && (err.name === 'NotAllowedError' || err.name === 'SecurityError');
    const text = denied
      ? 'Microphone access was denied: allow it for this page to make and take calls.'
      : `No usable microphone (${(err && err.name) || err}).`;
    throw Object.assign(new Error(text), { kind: 'microphone' });
  }
}

async function placeCall(raw) {
  if (S.call !== 'idle') return;
  if (S.registration !== 'registered') {
    setError('not-registered', 'Not registered: calls can be placed once the status says Registered.');
    render();
    return;
  }
  let target;
  try {
    target = dialTarget(raw);
  } catch (err) {
    setError('invalid-number', err.message);
    render();
    el.dialInput.focus();
    return;
  }
  unlockAudio();
  S.error = null;
  S.notice = null;
  S.direction = 'outgoing';
  S.target = target;
  S.remote = partyFromUri(JsSIP.URI.parse(target), '');
  S.call = 'calling';
  const attempt = ++S.dialSeq;
  render();
  let stream;
  try {
    stream = await getMicrophone();
  } catch (err) {
    setError(err.kind || 'microphone', err.message);
    resetCall();
    render();
    return;
  }
  if (attempt !== S.dialSeq || S.call !== 'calling' || !S.ua) {
    // Hung up or logged out while the browser asked for the microphone.
    stream.getTracks().forEach((t) => t.stop());
    return;
  }
  S.localStream = stream;
  startMeter(stream);
  try {
    const session = S.ua.call(target, {
      mediaStream: stream,
      pcConfig: PC_CONFIG,
      rtcOfferConstraints: { offerToReceiveAudio: true, offerToReceiveVideo: false },
      eventHandlers: sessionHandlers(),
    });
    S.session = session;
    if (session.connection) attachPeerConnection(session.connection);
  } catch (err) {
    setError('call-failed', `Cannot place the call: ${err.message || err}.`);
    endCall();
  }
  render();
}

function onIncoming(session) {
  if (S.session || S.call !== 'idle') {
    // One call at a time: the caller hears busy.
    session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
    return;
  }
  S.session = session;
  S.direction = 'incoming';
  S.remote = partyFromUri(session.remote_identity.uri, session.remote_identity.display_name);
  S.call = 'incoming';
  S.notice = null;
  const handlers = sessionHandlers();
  for (const [name, fn] of Object.entries(handlers)) session.on(name, fn);
  startRinging();
  render();
  el.answer.focus();
}

async function answerCall() {
  const session = S.session;
  if (!session || S.call !== 'incoming') return;
  unlockAudio();
  stopRinging();
  S.call = 'answering';
  S.error = null;
  render();
  let stream;
  try {
    stream = await getMicrophone();
  } catch (err) {
    setError(err.kind || 'microphone', err.message);
    try {
      session.terminate({ status_code: 480, reason_phrase: 'Temporarily Unavailable' });
    } catch {
      // The caller gave up meanwhile.
    }
    endCall();
    render();
    return;
  }
  if (S.session !== session) {
    stream.getTracks().forEach((t) => t.stop());
    return;
  }
  S.localStream = stream;
  startMeter(stream);
  try {
    session.answer({ mediaStream: stream, pcConfig: PC_CONFIG });
  } catch (err) {
    setError('call-failed', `Cannot answer: ${err.message || err}.`);
    endCall();
  }
  render();
}

function rejectCall() {
  if (!S.session || S.call !== 'incoming') return;
  try {
    S.session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
  } catch {
    endCall();
    render();
  }
}

function hangUp() {
  if (!S.session) {
    if (S.call === 'calling') {
      S.dialSeq += 1;
      resetCall();
      render();
    }
    return;
  }
  try {
    S.session.terminate();
  } catch {
    endCall();
    render();
  }
}

function toggleMute() {
  const session = S.session;
  if (!session || S.call !== 'in-call') return;
  if (session.isMuted().audio) session.unmute({ audio: true });
  else session.mute({ audio: true });
}

function toggleHold() {
  const session = S.session;
  if (!session || S.call !== 'in-call') return;
  const ok = session.isOnHold().local ? session.unhold() : session.hold();
  if (ok === false) setNotice('Hold/resume is not possible right now: another re-INVITE is in progress.');
  render();
}

function sendDtmf(tone) {
  const session = S.session;
  if (!session || S.call !== 'in-call' || !/^[0-9*#]$/.test(tone)) return;
  try {
    session.sendDTMF(tone, DTMF_OPTIONS);
    S.dtmfSent += tone;
  } catch (err) {
    setError('dtmf', `Could not send DTMF ${tone}: ${err.message || err}.`);
  }
  render();
}

function sessionHandlers() {
  const current = (fn) => function handler(e) {
    // `this` is the session that emitted the event. An outgoing session emits
    // its first events inside ua.call(), before S.session is set.
    const starting = S.session === null && S.direction === 'outgoing' && S.call === 'calling';
    if (this === S.session || starting) fn(e, this);
  };
  return {
    peerconnection: current((e) => attachPeerConnection(e.peerconnection)),
    progress: current((e) => {
      if (S.direction === 'outgoing' && e.originator === 'remote' && S.call === 'calling') {
        S.call = 'ringing';
        render();
      }
    }),
    accepted: current(() => {
      S.call = 'in-call';
      if (!S.answeredAt) S.answeredAt = Date.now();
      startCallTimers();
      render();
    }),
    confirmed: current(() => {
      S.call = 'in-call';
      if (!S.answeredAt) S.answeredAt = Date.now();
      startCallTimers();
      render();
    }),
    hold: current((e) => {
      if (e.originator === 'local') S.held = true;
      else S.remoteHeld = true;
      render();
    }),
    unhold: current((e) => {
      if (e.originator === 'local') S.held = false;
      else S.remoteHeld = false;
      render();
    }),
    muted: current(() => {
      S.muted = true;
      render();
    }),
    unmuted: current(() => {
      S.muted = false;
      render();
    }),
    ended: current((e) => {
      const who = partyLabel(S.remote);
      if (e.originator === 'remote') setNotice(`Call with ${who} ended by the other side (${callDurationText()}).`);
      else if (e.originator === 'local') setNotice(`Call with ${who} ended (${callDurationText()}).`);
      else setError('call-ended', `Call with ${who} dropped: ${e.cause}.`);
      endCall();
      render();
    }),
    failed: current((e) => {
      onCallFailed(e);
      endCall();
      render();
    }),
  };
}

function onCallFailed(e) {
  const C = JsSIP.C.causes;
  const who = partyLabel(S.remote);
  const response = e.message && typeof e.message.status_code === 'number' ? e.message : null;
  if (S.direction === 'incoming') {
    if (e.originator === 'remote' && e.cause === C.CANCELED) setNotice(`Missed call from ${who}.`);
    else if (e.originator === 'local' && S.call === 'incoming') setNotice(`Rejected call from ${who}.`);
    else if (e.cause === C.USER_DENIED_MEDIA_ACCESS) setError('microphone', 'Microphone access was denied.');
    else if (e.originator !== 'local') setError('call-failed', `Call from ${who} failed: ${e.cause}.`);
    return;
  }
  if (e.originator === 'remote' && response) {
    setError('call-refused', `Call to ${who} failed: ${refusalText(response)}.`, response);
  } else if (e.originator === 'local') {
    setNotice(`Call to ${who} cancelled.`);
  } else if (e.cause === C.USER_DENIED_MEDIA_ACCESS) {
    setError('microphone', 'Microphone access was denied.');
  } else if (e.cause === C.REQUEST_TIMEOUT || e.cause === C.CONNECTION_ERROR) {
    setError('network', `Call to ${who} failed: no answer from the server (${e.cause}).`);
  } else {
    setError('call-failed', `Call to ${who} failed: ${e.cause}${response ? ` (${sipStatus(response)})` : ''}.`, response);
  }
}

function partyLabel(party) {
  if (!party) return 'the other side';
  if (party.displayName && party.number) return `${party.displayName} (${party.number})`;
  return party.displayName || party.number || party.uri || 'the other side';
}

function attachPeerConnection(pc) {
  if (!pc || pc.tandemAttached) return;
  pc.tandemAttached = true;
  pc.addEventListener('track', (e) => {
    if (e.track.kind !== 'audio') return;
    el.remoteAudio.srcObject = e.streams && e.streams[0] ? e.streams[0] : new MediaStream([e.track]);
    el.remoteAudio.play().catch(() => {
      setNotice('Click anywhere on the page to hear the other side (the browser blocked autoplay).');
      render();
    });
  });
}

// Clears everything about the call just ended (or never started).
function endCall() {
  if (S.session && S.call !== 'idle') {
    // Keep the figures of the call that just ended for callStats().
    if (S.stats) S.stats = { ...S.stats, final: true };
  }
  resetCall();
}

function resetCall() {
  stopRinging();
  stopCallTimers();
  stopMeter();
  if (S.localStream) S.localStream.getTracks().forEach((t) => t.stop());
  S.localStream = null;
  el.remoteAudio.srcObject = null;
  S.session = null;
  S.call = 'idle';
  S.direction = null;
  S.remote = null;
  S.target = null;
  S.muted = false;
  S.held = false;
  S.remoteHeld = false;
  S.answeredAt = null;
  S.dtmfSent = '';
}

// ---------------------------------------------------------------- timers, meter, stats

function callDurationSeconds() {
  return S.answeredAt ? Math.max(0, Math.floor((Date.now() - S.answeredAt) / 1000)) : 0;
}

function formatDuration(total) {
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

function callDurationText() {
  return S.answeredAt ? formatDuration(callDurationSeconds()) : 'not answered';
}

function startCallTimers() {
  if (!S.timers.clock) S.timers.clock = setInterval(render, 1000);
  if (!S.timers.stats) {
    S.stats = null;
    S.timers.stats = setInterval(refreshStats, 1000);
    refreshStats();
  }
}

function stopCallTimers() {
  clearInterval(S.timers.clock);
  clearInterval(S.timers.stats);
  S.timers.clock = null;
  S.timers.stats = null;
}

let audioCtx = null;
let meterSource = null;

function unlockAudio() {
  // Created on a click so that the browser lets it run (ring tone, meter).
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  if (!audioCtx) audioCtx = new Ctx();
  if (audioCtx.state === 'suspended') audioCtx.resume().catch(() => {});
}

function startMeter(stream) {
  stopMeter();
  if (!audioCtx) unlockAudio();
  if (!audioCtx) return;
  meterSource = audioCtx.createMediaStreamSource(stream);
  const analyser = audioCtx.createAnalyser();
  // About 90 ms of audio per read: with reads every 100 ms nothing is missed.
  analyser.fftSize = 4096;
  meterSource.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  S.timers.meter = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (let i = 0; i < samples.length; i += 1) sum += samples[i] * samples[i];
    const rms = Math.sqrt(sum / samples.length);
    S.micDbfs = rms > 0 ? 20 * Math.log10(rms) : -Infinity;
    // -60 dBFS (silence) .. 0 dBFS (full scale) on the meter; rises at once,
    // falls by about 20 dB per second so that speech reads as a steady bar.
    const level = Math.min(1, Math.max(0, (S.micDbfs + 60) / 60));
    S.micLevel = Math.max(level, S.micLevel - 0.033);
    el.micMeter.value = S.micLevel;
    el.micMeter.textContent = `${Math.round(S.micLevel * 100)}%`;
  }, 100);
}

function stopMeter() {
  clearInterval(S.timers.meter);
  S.timers.meter = null;
  if (meterSource) meterSource.disconnect();
  meterSource = null;
  S.micLevel = 0;
  S.micDbfs = -Infinity;
  if (el.micMeter) el.micMeter.value = 0;
}

// North American ring: 440 + 480 Hz, 2 s on, 4 s off.
function startRinging() {
  stopRinging();
  document.title = 'Incoming call · Tandem phone';
  if (!audioCtx || audioCtx.state !== 'running') return;
  const ring = () => {
    const gain = audioCtx.createGain();
    gain.gain.value = 0.08;
    gain.connect(audioCtx.destination);
    const t = audioCtx.currentTime;
    for (const f of [440, 480]) {
      const osc = audioCtx.createOscillator();
      osc.frequency.value = f;
      osc.connect(gain);
      osc.start(t);
      osc.stop(t + 2);
    }
  };
  ring();
  S.timers.ring = setInterval(ring, 6000);
}

function stopRinging() {
  clearInterval(S.timers.ring);
  S.timers.ring = null;
  document.title = 'Tandem phone';
}

async function readStats() {
  const pc = S.session && S.session.connection;
  if (!pc) return null;
  const report = await pc.getStats();
  let inbound = null;
  let outbound = null;
  const codecs = new Map();
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') inbound = s;
    else if (s.type === 'outbound-rtp' && s.kind === 'audio') outbound = s;
    else if (s.type === 'codec') codecs.set(s.id, s);
  });
  const codecOf = (rtp) => {
    const c = rtp && rtp.codecId ? codecs.get(rtp.codecId) : null;
    return c ? { mimeType: c.mimeType, clockRate: c.clockRate, payloadType: c.payloadType, channels: c.channels || 1 } : null;
  };
  const received = inbound ? inbound.packetsReceived || 0 : 0;
  const lost = inbound ? Math.max(0, inbound.packetsLost || 0) : 0;
  return {
    at: Date.now(),
    final: false,
    connectionState: pc.connectionState,
    iceConnectionState: pc.iceConnectionState,
    inbound: inbound
      ? {
          packetsReceived: received,
          packetsLost: inbound.packetsLost || 0,
          audioLevel: inbound.audioLevel ?? null,
          totalAudioEnergy: inbound.totalAudioEnergy ?? null,
          jitter: inbound.jitter ?? null,
          bytesReceived: inbound.bytesReceived || 0,
        }
      : null,
    outbound: outbound ? { packetsSent: outbound.packetsSent || 0, bytesSent: outbound.bytesSent || 0 } : null,
    codec: codecOf(inbound) || codecOf(outbound),
    outboundCodec: codecOf(outbound),
    lossFraction: received + lost > 0 ? lost / (received + lost) : 0,
  };
}

async function refreshStats() {
  const session = S.session;
  try {
    const stats = await readStats();
    if (stats && session === S.session) {
      S.stats = stats;
      renderQuality();
    }
  } catch {
    // The connection closed between the check and getStats(); the last figures stay.
  }
}

// ---------------------------------------------------------------- rendering

const REGISTRATION_TEXT = {
  'logged-out': 'Not logged in',
  connecting: 'Connecting…',
  registering: 'Registering…',
  registered: 'Registered',
  failed: 'Registration failed',
  'network-lost': 'Network lost',
  unregistered: 'Not registered',
};

const CALL_TEXT = {
  calling: 'Calling…',
  ringing: 'Ringing…',
  answering: 'Connecting…',
  'in-call': 'In call',
};

function render() {
  const loggedIn = S.ua !== null;
  document.body.dataset.registration = S.registration;
  document.body.dataset.call = S.call;

  let status = REGISTRATION_TEXT[S.registration] || S.registration;
  if (S.registration === 'registered' && S.config) status = `Registered as ${S.config.username}`;
  el.regStatus.textContent = status;
  el.regStatus.dataset.state = S.registration;

  el.error.hidden = !S.error;
  el.error.textContent = S.error ? S.error.message : '';
  el.notice.hidden = !S.notice;
  el.notice.textContent = S.notice || '';

  el.login.hidden = loggedIn;
  el.phone.hidden = !loggedIn;
  el.logout.hidden = !loggedIn;
  if (!loggedIn) return;

  const inCall = S.call === 'in-call';
  const busy = S.call !== 'idle';
  el.incoming.hidden = S.call !== 'incoming';
  el.incomingName.textContent = S.remote ? S.remote.displayName || 'Unknown caller' : '';
  el.incomingNumber.textContent = S.remote ? S.remote.number : '';

  el.callPanel.hidden = !busy || S.call === 'incoming';
  el.callName.textContent = S.remote ? S.remote.displayName || S.remote.number || S.remote.uri : '';
  el.callNumber.textContent = S.remote && S.remote.displayName ? S.remote.number : '';
  let line = CALL_TEXT[S.call] || '';
  if (inCall && S.held) line = 'On hold';
  else if (inCall && S.remoteHeld) line = 'Held by the other side';
  if (inCall && S.muted) line += ' · muted';
  el.callState.textContent = line;
  el.callTimer.textContent = formatDuration(callDurationSeconds());
  el.callTimer.hidden = !S.answeredAt;
  el.mute.disabled = !inCall;
  el.hold.disabled = !inCall;
  el.mute.textContent = S.muted ? 'Unmute' : 'Mute';
  el.mute.setAttribute('aria-pressed', String(S.muted));
  el.hold.textContent = S.held ? 'Resume' : 'Hold';
  el.hold.setAttribute('aria-pressed', String(S.held));
  el.dtmfSent.textContent = S.dtmfSent ? `Tones sent: ${S.dtmfSent}` : '';
  renderQuality();

  // The keypad dials when idle and sends DTMF during a call.
  el.dial.hidden = busy && !inCall;
  el.dialLabel.textContent = inCall ? 'Keypad (sends tones)' : 'Number or SIP address';
  el.dialInput.hidden = inCall;
  el.keyBackspace.hidden = inCall;
  el.keyPlus.hidden = inCall;
  el.dialCall.hidden = inCall;
  el.dialCall.disabled = busy;
}

function renderQuality() {
  const s = S.stats;
  if (!el.callQuality) return;
  if (!s || S.call !== 'in-call' || !s.inbound) {
    el.callQuality.textContent = '';
    return;
  }
  const codec = s.codec ? s.codec.mimeType.replace(/^audio\//, '') : '?';
  el.callQuality.textContent =
    `${codec} · ${s.inbound.packetsReceived} packets in · ${(s.lossFraction * 100).toFixed(1)}% lost`;
}

// ---------------------------------------------------------------- wiring

function onKey(key) {
  if (S.call === 'in-call') {
    sendDtmf(key);
    return;
  }
  if (S.call !== 'idle') return;
  const input = el.dialInput;
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? input.value.length;
  input.value = input.value.slice(0, start) + key + input.value.slice(end);
  input.setSelectionRange(start + 1, start + 1);
}

function onBackspace() {
  const input = el.dialInput;
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? input.value.length;
  if (start !== end) input.value = input.value.slice(0, start) + input.value.slice(end);
  else if (start > 0) {
    input.value = input.value.slice(0, start - 1) + input.value.slice(start);
    input.setSelectionRange(start - 1, start - 1);
  }
}

function init() {
  for (const [key, id] of Object.entries({
    login: 'login', loginWs: 'login-ws', loginUsername: 'login-username', loginPassword: 'login-password',
    loginDisplayName: 'login-display-name', loginDomain: 'login-domain', logout: 'logout',
    regStatus: 'reg-status', error: 'error', notice: 'notice', phone: 'phone',
    incoming: 'incoming', incomingName: 'incoming-name', incomingNumber: 'incoming-number',
    answer: 'answer', reject: 'reject', callPanel: 'call', callName: 'call-name', callNumber: 'call-number',
    callState: 'call-state', callTimer: 'call-timer', micMeter: 'mic-meter', callQuality: 'call-quality',
    mute: 'mute', hold: 'hold', hangup: 'hangup', dtmfSent: 'dtmf-sent', dial: 'dial', dialLabel: 'dial-label',
    dialInput: 'dial-input', dialCall: 'dial-call', keyBackspace: 'key-backspace', keypad: 'keypad',
    remoteAudio: 'remote-audio',
  })) {
    el[key] = $(id);
  }
  el.keyPlus = el.keypad.querySelector('[data-key="+"]');

  el.login.addEventListener('submit', onLoginSubmit);
  el.logout.addEventListener('click', logout);
  el.dial.addEventListener('submit', (e) => {
    e.preventDefault();
    placeCall(el.dialInput.value);
  });
  el.keypad.addEventListener('click', (e) => {
    const button = e.target.closest('button[data-key]');
    if (button) onKey(button.dataset.key);
  });
  el.keyBackspace.addEventListener('click', onBackspace);
  el.answer.addEventListener('click', answerCall);
  el.reject.addEventListener('click', rejectCall);
  el.hangup.addEventListener('click', hangUp);
  el.mute.addEventListener('click', toggleMute);
  el.hold.addEventListener('click', toggleHold);
  // During a call, typed digits send tones (unless typing into a field).
  document.addEventListener('keydown', (e) => {
    if (S.call !== 'in-call' || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement) return;
    if (/^[0-9*#]$/.test(e.key)) {
      e.preventDefault();
      sendDtmf(e.key);
    }
  });
  document.addEventListener('click', () => {
    if (el.remoteAudio.srcObject && el.remoteAudio.paused) el.remoteAudio.play().catch(() => {});
  });
  window.addEventListener('pagehide', () => {
    // Unregister politely when the tab goes away.
    S.loggingOut = true;
    stopUa();
  });

  fillLoginForm();
  render();
  (el.loginUsername.value ? el.loginPassword : el.loginUsername).focus();
}

// The hook the end-to-end tests read (see web/README.md).
window.tandemPhone = Object.freeze({
  state() {
    return {
      registration: S.registration,
      call: S.call,
      direction: S.direction,
      remote: S.remote ? { ...S.remote } : null,
      muted: S.muted,
      onHold: S.held,
      remoteHold: S.remoteHeld,
      durationSeconds: callDurationSeconds(),
      dtmfSent: S.dtmfSent,
      notice: S.notice,
      micLevel: S.micLevel,
      micDbfs: Number.isFinite(S.micDbfs) ? S.micDbfs : null,
      username: S.config ? S.config.username : null,
      wsUrl: S.config ? S.config.wsUrl : null,
      jssipVersion: JsSIP.version,
    };
  },
  lastError() {
    return S.error ? { ...S.error } : null;
  },
  async callStats() {
    if (S.session && S.call === 'in-call') {
      try {
        const stats = await readStats();
        if (stats) S.stats = stats;
      } catch {
        // Fall back to the last figures.
      }
    }
    return S.stats ? JSON.parse(JSON.stringify(S.stats)) : null;
  },
});

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
