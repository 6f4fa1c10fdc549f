#!/usr/bin/env node
// Drives Tandem's softphone page (/phone/) in headless Chromium and takes
// screenshots of its states. Run it inside a loopback-only network namespace
// together with whatever it talks to (see tests/browser/README.md):
//
//   unshare -n bash -c 'ip link set lo up; exec "$@"' _ \
//     node tests/browser/phone-driver.mjs --out OUT --url http://127.0.0.1:8080/phone/ \
//       --user alice --password alice-secret --wav speech_48k.wav \
//       --steps 'login; wait registered; dial +15550199; wait in-call; sleep 3000; stats; hangup; wait idle'
//
// Every command prints one JSON line on stdout:
//   {"ok":true,"n":3,"cmd":"wait registered","ms":412,"state":{...},"lastError":null,"screenshot":"03-registered.png"}
// With --steps/--script the first failing command ends the run (exit 1, with a
// screenshot NN-failed-<cmd>.png). With --stdin, commands are read one per line
// and a failure is reported without ending the run; `quit` or end of input ends it.
import { chromium } from 'playwright-core';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const USAGE = `usage: phone-driver.mjs --out DIR [options]
  --url URL            page to open (default http://127.0.0.1:8080/phone/)
  --out DIR            where screenshots and console.log go (created)
  --wav FILE           fake microphone input (WAV; 48 kHz mono is best)
  --ws URL             server WebSocket URL to type (default: the page's own default)
  --user NAME          username to log in with (default alice)
  --password SECRET    password (default alice-secret)
  --display-name NAME  display name to type (optional)
  --steps 'A; B; C'    commands separated by "; " or newlines
  --script FILE        commands, one per line (# comments allowed)
  --stdin              read commands from standard input, one per line
  --timeout-ms N       default timeout of wait commands (default 10000)
  --chromium PATH      browser binary (default /usr/bin/chromium)
  --sip-log            log JsSIP's SIP traffic into console.log
  --headed             show the window (debugging)
Without --steps, --script or --stdin it runs: login; wait registered|failed; state
Commands:
  login [USER [PASSWORD [DISPLAY NAME]]]   fill the form and submit
  @NAME COMMAND             run COMMAND in a second tab NAME (opened on first
                            use; its screenshots are named NN-NAME-...)
  wait COND[|COND..] [ms]   COND: a registration state (connecting registering
                            registered failed network-lost unregistered logged-out),
                            a call state (idle calling ringing incoming answering
                            in-call), KEY=VALUE, KEY>N or KEY<N on a field
                            of state(), or error=KIND (lastError().kind)
  dial TARGET               type TARGET into the dial box and press Enter
  key DIGITS                click keypad keys (sends DTMF during a call)
  answer | reject | hangup | mute | hold | logout   click that control
  shot NAME                 screenshot NN-NAME.png
  state | stats             print tandemPhone.state()/lastError() or callStats()
  reload                    reload the page (screenshot NN-reloaded.png)
  sleep MS                  wait MS milliseconds
  quit                      close the browser and exit`;

function parseArgs(argv) {
  const opts = {
    url: 'http://127.0.0.1:8080/phone/',
    user: 'alice',
    password: 'alice-secret',
    timeoutMs: 10000,
    chromium: '/usr/bin/chromium',
  };
  const valued = {
    '--url': 'url', '--out': 'out', '--wav': 'wav', '--ws': 'ws', '--user': 'user',
    '--password': 'password', '--display-name': 'displayName', '--steps': 'steps',
    '--script': 'script', '--timeout-ms': 'timeoutMs', '--chromium': 'chromium',
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === '--stdin') opts.stdin = true;
    else if (arg === '--sip-log') opts.sipLog = true;
    else if (arg === '--headed') opts.headed = true;
    else if (valued[arg] && i + 1 < argv.length) opts[valued[arg]] = argv[(i += 1)];
    else fail(`unknown or incomplete argument ${arg}\n${USAGE}`);
  }
  if (!opts.out) fail(`--out is required\n${USAGE}`);
  opts.timeoutMs = Number(opts.timeoutMs);
  if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) fail('--timeout-ms must be a positive number');
  return opts;
}

function fail(message) {
  console.error(message);
  process.exit(2);
}

const REGISTRATION = new Set(['logged-out', 'connecting', 'registering', 'registered', 'failed', 'network-lost', 'unregistered']);
const CALL = new Set(['idle', 'calling', 'ringing', 'incoming', 'answering', 'in-call']);

// One wait condition -> (snapshot) => boolean.
function condition(token) {
  if (token.startsWith('error=')) {
    const kind = token.slice(6);
    return (snap) => snap.lastError !== null && snap.lastError.kind === kind;
  }
  const cmp = /^([A-Za-z]+)([<>=])(.*)$/.exec(token);
  if (cmp) {
    const [, key, op, value] = cmp;
    if (op === '=') return (snap) => String(snap.state[key]) === value;
    const limit = Number(value);
    if (!Number.isFinite(limit)) throw new Error(`"${token}": ${op} needs a number`);
    return (snap) => typeof snap.state[key] === 'number' && (op === '>' ? snap.state[key] > limit : snap.state[key] < limit);
  }
  if (REGISTRATION.has(token)) return (snap) => snap.state.registration === token;
  if (CALL.has(token)) return (snap) => snap.state.call === token;
  throw new Error(`unknown wait condition "${token}"`);
}

function splitSteps(text) {
  return text
    .split(/;\s+|;$|\n/)
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('#'));
}

class Driver {
  constructor(opts) {
    this.opts = opts;
    this.n = 0;
    this.shots = 0;
    this.out = resolve(opts.out);
    mkdirSync(this.out, { recursive: true });
    this.consoleLog = join(this.out, 'console.log');
  }

  async start() {
    const o = this.opts;
    const args = [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--allow-loopback-in-peer-connection',
      // Remote audio plays without a click (the inbound audioLevel needs a sink).
      '--autoplay-policy=no-user-gesture-required',
    ];
    if (o.wav) args.push(`--use-file-for-fake-audio-capture=${resolve(o.wav)}`);
    this.profile = mkdtempSync(join(tmpdir(), 'tandem-chromium-'));
    this.context = await chromium.launchPersistentContext(this.profile, {
      executablePath: o.chromium,
      headless: !o.headed,
      args,
      viewport: { width: 480, height: 860 },
      permissions: ['microphone'],
    });
    if (o.sipLog) await this.context.addInitScript(() => localStorage.setItem('debug', 'JsSIP:*'));
    this.pages = new Map();
    const started = Date.now();
    const main = await this.open('main', this.context.pages()[0]);
    await this.report(main, 'open', started);
  }

  // Opens the page under a name ("main" first; "@bob ..." opens "bob" on first
  // use) and screenshots its login form; the next report names that file.
  async open(name, existing) {
    const page = existing || (await this.context.newPage());
    // A control that is not there should fail the command fast, not in 30 s.
    page.setDefaultTimeout(5000);
    const log = (line) => appendFileSync(this.consoleLog, `${new Date().toISOString()} ${name} ${line}\n`);
    page.on('console', (m) => log(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => log(`[pageerror] ${e.message}`));
    page.on('requestfailed', (r) => log(`[requestfailed] ${r.url()} ${r.failure()?.errorText ?? ''}`));
    const tab = { name, page };
    this.pages.set(name, tab);
    const response = await page.goto(this.opts.url, { waitUntil: 'load' });
    if (!response || !response.ok()) throw new Error(`GET ${this.opts.url}: ${response ? response.status() : 'no response'}`);
    await page.waitForFunction(() => typeof window.tandemPhone === 'object', null, { timeout: 5000 });
    tab.opened = await this.shot(tab, 'login-form');
    return tab;
  }

  async stop() {
    if (this.context) await this.context.close().catch(() => {});
    if (this.profile) rmSync(this.profile, { recursive: true, force: true });
  }

  async snapshot(tab) {
    return tab.page.evaluate(() => ({
      state: window.tandemPhone.state(),
      lastError: window.tandemPhone.lastError(),
    }));
  }

  async shot(tab, name) {
    this.shots += 1;
    const who = tab.name === 'main' ? '' : `${tab.name}-`;
    const file = `${String(this.shots).padStart(2, '0')}-${who}${name}`.replace(/[^A-Za-z0-9_.-]+/g, '_');
    await tab.page.screenshot({ path: join(this.out, `${file}.png`), fullPage: true });
    return `${file}.png`;
  }

  async report(tab, cmd, started, extra = {}) {
    this.n += 1;
    const line = { ok: true, n: this.n, cmd, ms: Date.now() - started, ...(await this.snapshot(tab)), ...extra };
    if (tab.opened) {
      line.opened = tab.opened;
      tab.opened = null;
    }
    process.stdout.write(`${JSON.stringify(line)}\n`);
    return line;
  }

  // "@bob dial +1555" -> the tab named bob (opened on first use) and "dial +1555".
  async target(cmd) {
    const m = /^@([A-Za-z0-9_-]+)\s+(.*)$/.exec(cmd);
    const name = m ? m[1] : 'main';
    const tab = this.pages.get(name) || (await this.open(name));
    // Chromium throttles timers in background tabs: act on the front one.
    if (this.front !== tab) {
      await tab.page.bringToFront();
      this.front = tab;
    }
    return [tab, m ? m[2].trim() : cmd];
  }

  async run(fullCmd) {
    const started = Date.now();
    const [tab, cmd] = await this.target(fullCmd);
    const p = tab.page;
    const click = (testid) => p.getByTestId(testid).click({ timeout: 5000 });
    const report = (extra) => this.report(tab, fullCmd, started, extra);
    const [verb, ...rest] = cmd.split(/\s+/);
    const arg = cmd.slice(verb.length).trim();
    const o = this.opts;
    switch (verb) {
      case 'open':
        return report();
      case 'reload':
        await p.reload({ waitUntil: 'load' });
        await p.waitForFunction(() => typeof window.tandemPhone === 'object');
        return report({ screenshot: await this.shot(tab, 'reloaded') });
      case 'login': {
        const [user = o.user, password = o.password, ...name] = rest;
        const displayName = name.length ? name.join(' ') : o.displayName;
        if (o.ws) await p.getByTestId('login-ws').fill(o.ws);
        await p.getByTestId('login-username').fill(user);
        await p.getByTestId('login-password').fill(password);
        if (displayName !== undefined) await p.getByTestId('login-display-name').fill(displayName);
        await click('login-submit');
        return report();
      }
      case 'wait': {
        const [conds, ms] = rest;
        if (!conds) throw new Error('wait needs a condition');
        const tests = conds.split('|').map(condition);
        const timeout = ms ? Number(ms) : o.timeoutMs;
        let snap;
        for (;;) {
          snap = await this.snapshot(tab);
          if (tests.some((t) => t(snap))) break;
          if (Date.now() - started > timeout) {
            throw new Error(`timed out after ${timeout} ms waiting for ${conds}`);
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        // Name the screenshot after what was reached.
        const reached = conds.split('|').find((c) => condition(c)(snap));
        return report({ screenshot: await this.shot(tab, reached) });
      }
      case 'dial': {
        if (!arg) throw new Error('dial needs a target');
        await p.getByTestId('dial-input').fill(arg);
        await p.getByTestId('dial-input').press('Enter');
        return report();
      }
      case 'key': {
        const ids = { '*': 'key-star', '#': 'key-hash', '+': 'key-plus' };
        for (const ch of arg.replace(/\s+/g, '')) {
          if (!/^[0-9*#+]$/.test(ch)) throw new Error(`no key "${ch}" on the keypad`);
          await click(ids[ch] || `key-${ch}`);
        }
        return report();
      }
      case 'answer':
      case 'reject':
      case 'hangup':
      case 'mute':
      case 'hold':
      case 'logout':
        await click(verb);
        return report();
      case 'shot':
        return report({ screenshot: await this.shot(tab, arg || 'shot') });
      case 'state':
        return report();
      case 'stats': {
        const stats = await p.evaluate(() => window.tandemPhone.callStats());
        return report({ stats });
      }
      case 'sleep':
        await new Promise((r) => setTimeout(r, Number(arg) || 0));
        return report();
      default:
        throw new Error(`unknown command "${verb}"`);
    }
  }

  async runReporting(cmd) {
    try {
      await this.run(cmd);
      return true;
    } catch (err) {
      this.n += 1;
      const line = { ok: false, n: this.n, cmd, error: String(err.message || err).split('\n')[0] };
      try {
        const [tab, inner] = await this.target(cmd);
        Object.assign(line, await this.snapshot(tab));
        line.screenshot = await this.shot(tab, `failed-${inner.split(/\s+/)[0]}`);
      } catch {
        // The page itself is gone; report what we have.
      }
      process.stdout.write(`${JSON.stringify(line)}\n`);
      return false;
    }
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const driver = new Driver(opts);
  let code = 0;
  const onSignal = () => {
    driver.stop().finally(() => process.exit(130));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await driver.start();
    if (opts.stdin) {
      const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
      for await (const raw of rl) {
        const cmd = raw.trim();
        if (!cmd || cmd.startsWith('#')) continue;
        if (cmd === 'quit') break;
        await driver.runReporting(cmd);
      }
    } else {
      let steps;
      if (opts.script) steps = splitSteps(readFileSync(opts.script, 'utf8'));
      else if (opts.steps) steps = splitSteps(opts.steps);
      else steps = ['login', 'wait registered|failed', 'state'];
      for (const cmd of steps) {
        if (cmd === 'quit') break;
        if (!(await driver.runReporting(cmd))) {
          code = 1;
          break;
        }
      }
    }
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ ok: false, cmd: 'open', error: String(err.message || err).split('\n')[0] })}\n`);
    code = 1;
  } finally {
    await driver.stop();
  }
  process.exit(code);
}

main();
