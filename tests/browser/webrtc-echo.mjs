// Chromium (headless, fake microphone) and examples/browser_echo (Tandem's WebRtcLeg) set up a
// call, MODE=answer (default: Chromium offers) or MODE=offer (the leg offers); the leg echoes
// RTP back, Chromium sends three DTMF digits. Prints the browser's view as JSON.
// Env: CODEC=PCMU (browser prefers PCMU), FAKE_WAV=file.wav (microphone), ICE_LITE=1 (leg).
// Build the example first (cargo build --example browser_echo), then run inside a
// loopback-only namespace, with playwright-core resolvable or PLAYWRIGHT_CORE=<its path>:
//   unshare -n bash -c 'ip link set lo up; exec node interop/chromium_echo.mjs'
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');
const echoBin = process.env.ECHO_BIN || 'target/debug/examples/browser_echo';
const codec = process.env.CODEC || ''; // 'PCMU' to make the browser prefer PCMU

const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'chr-')), {
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    '--allow-loopback-in-peer-connection',
    ...(process.env.FAKE_WAV ? [`--use-file-for-fake-audio-capture=${process.env.FAKE_WAV}`] : [])],
});
// getUserMedia needs a secure context: http://127.0.0.1 is one, about:blank is not.
const server = createServer((_, res) => res.end('<html><body>echo</body></html>'));
await new Promise(r => server.listen(0, '127.0.0.1', r));
const page = await ctx.newPage();
await page.goto(`http://127.0.0.1:${server.address().port}/`);
const weOffer = process.env.MODE === 'offer';
await page.evaluate(async (codec) => {
  const pc = new RTCPeerConnection({ iceServers: [] });
  window.pc = pc;
  // Chromium computes inbound audioLevel only for audio that is played out.
  pc.ontrack = (e) => { const a = new Audio(); a.srcObject = new MediaStream([e.track]); a.play(); window.remoteAudio = a; };
  window.mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, autoGainControl: false, noiseSuppression: false } });
  window.codec = codec;
}, codec);
const gathered = `new Promise(r => { if (pc.iceGatheringState === 'complete') r();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); })`;

const child = spawn(echoBin, ['6', weOffer ? 'offer' : 'answer'], { stdio: ['pipe', 'pipe', 'inherit'] });
let out = '';
const fromChild = new Promise(r => child.stdout.on('data', d => {
  out += d; const i = out.indexOf('END\n'); if (i >= 0) r(out.slice(0, i)); }));
let remote;
if (weOffer) {
  const offer = await fromChild;
  remote = null;
  const answer = await page.evaluate(async ({ offer, gathered }) => {
    const pc = window.pc;
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    const tr = pc.getTransceivers()[0];
    await tr.sender.replaceTrack(window.mic.getAudioTracks()[0]);
    tr.direction = 'sendrecv';
    await pc.setLocalDescription(await pc.createAnswer());
    await eval(gathered);
    return pc.localDescription.sdp;
  }, { offer, gathered });
  child.stdin.write(answer.replace(/\r\n/g, '\n') + 'END\n');
} else {
  const offer = await page.evaluate(async ({ gathered }) => {
    const pc = window.pc;
    const tr = pc.addTransceiver(window.mic.getAudioTracks()[0], { direction: 'sendrecv' });
    if (window.codec) {
      const caps = RTCRtpSender.getCapabilities('audio').codecs;
      tr.setCodecPreferences([...caps.filter(c => c.mimeType.endsWith(window.codec)),
        ...caps.filter(c => !c.mimeType.endsWith(window.codec))]);
    }
    await pc.setLocalDescription(await pc.createOffer());
    await eval(gathered);
    return pc.localDescription.sdp;
  }, { gathered });
  child.stdin.write(offer.replace(/\r\n/g, '\n') + 'END\n');
  remote = await fromChild;
}

const result = await page.evaluate(async (answer) => {
  const pc = window.pc;
  const t0 = performance.now();
  if (answer) await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  await new Promise((r, j) => { const t = setTimeout(() => j(new Error('not connected: ' + pc.connectionState)), 10000);
    const chk = () => { if (pc.connectionState === 'connected') { clearTimeout(t); r(); } };
    pc.onconnectionstatechange = chk; chk(); });
  const connectMs = performance.now() - t0;
  const dtmf = pc.getSenders()[0].dtmf;
  for (let i = 0; i < 50 && !dtmf.canInsertDTMF; i++) await new Promise(r => setTimeout(r, 20));
  const dtmfSent = dtmf.canInsertDTMF;
  if (dtmfSent) dtmf.insertDTMF('159', 100, 70);
  await new Promise(r => setTimeout(r, 3000));
  const stats = await pc.getStats();
  const o = { connectMs, connectionState: pc.connectionState, dtmfSent };
  stats.forEach(s => {
    if (s.type === 'inbound-rtp') Object.assign(o, { packetsReceived: s.packetsReceived, packetsLost: s.packetsLost, audioLevel: s.audioLevel, codecId: s.codecId });
    if (s.type === 'outbound-rtp') o.packetsSent = s.packetsSent;
    if (s.type === 'media-source') o.micAudioLevel = s.audioLevel;
    if (s.type === 'remote-inbound-rtp') o.remoteInboundRtp = { packetsLost: s.packetsLost, rtt: s.roundTripTime };
    if (s.type === 'transport') Object.assign(o, { dtlsState: s.dtlsState, dtlsRole: s.dtlsRole, srtpCipher: s.srtpCipher });
  });
  stats.forEach(s => { if (s.type === 'codec' && s.id === o.codecId) o.codec = s.mimeType + '/' + s.clockRate; });
  return o;
}, remote).catch(e => ({ error: String(e) }));
console.log(JSON.stringify(result, null, 1));
await new Promise(r => child.on('exit', r));
await ctx.close();
server.close();
