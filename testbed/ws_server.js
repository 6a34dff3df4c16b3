// One real WebSocket server of the testbed: Node.js with the `ws` library, bound to 127.0.0.1 only.
//
//   node ws_server.js --id 3 --port 9103 [--reply 1] [--slow-ms 0]
//
// Every upgrade response carries `X-Server: <id>`, so a client knows which server a balancer chose.
// Each inbound text message is answered `--reply` times (an echo) unless it starts with "nr:" (no
// reply: what `wsfleet calibrate` sends to measure inbound messages alone); `ws` answers pings with
// pongs by itself. A plain HTTP request on the same port is the control interface (never proxied:
// the testbed asks each server directly):
//   GET  /stats          -> {"id","connections","handshakes","messages_in","messages_out","pings",
//                            "cpu_user_us","cpu_system_us","rss_bytes","heap_used_bytes","uptime_s"}
//   POST /push?n=N       -> sends N messages of --push-bytes to every open connection
//   POST /slow?ms=M      -> from now on burns M ms of CPU per handshake and per message (a slow server)
//   GET  /health         -> 200 (HAProxy's check)
// It exits by itself after --max-lifetime-s (default 900 s), so a forgotten server cannot outlive a run.
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

function option(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const id = Number(option('id', '0'));
const port = Number(option('port', '0'));
const reply = Number(option('reply', '1'));
const pushBytes = Number(option('push-bytes', '256'));
const maxLifetimeS = Number(option('max-lifetime-s', '900'));
let slowMs = Number(option('slow-ms', '0'));

const stats = { handshakes: 0, messages_in: 0, messages_out: 0, pings: 0 };
const pushPayload = () => 'x'.repeat(pushBytes);

function burn(ms) {
  if (ms <= 0) return;
  const until = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  while (process.hrtime.bigint() < until) { /* a slow server: busy on purpose */ }
}

function snapshot() {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    id, connections: wss.clients.size, ...stats,
    cpu_user_us: cpu.user, cpu_system_us: cpu.system,
    rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed, uptime_s: process.uptime(),
  };
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/stats') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(snapshot()));
  } else if (url.pathname === '/push' && req.method === 'POST') {
    const n = Math.max(0, Math.min(100000, Number(url.searchParams.get('n') || '1')));
    const payload = pushPayload();
    for (const ws of wss.clients) {
      for (let i = 0; i < n; i++) { burn(slowMs); ws.send(payload); stats.messages_out++; }
    }
    res.writeHead(200); res.end('ok');
  } else if (url.pathname === '/slow' && req.method === 'POST') {
    slowMs = Math.max(0, Math.min(1000, Number(url.searchParams.get('ms') || '0')));
    res.writeHead(200); res.end('ok');
  } else if (url.pathname === '/health') {
    res.writeHead(200); res.end('ok');
  } else {
    res.writeHead(404); res.end();
  }
});

const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('headers', (headers) => { headers.push('X-Server: ' + id); });
wss.on('connection', (ws) => {
  stats.handshakes++;
  burn(slowMs);
  ws.on('message', (data) => {
    stats.messages_in++;
    burn(slowMs);
    if (data.length >= 3 && data[0] === 0x6e && data[1] === 0x72 && data[2] === 0x3a) return;  // "nr:"
    for (let i = 0; i < reply; i++) { ws.send(data); stats.messages_out++; }
  });
  ws.on('ping', () => { stats.pings++; burn(slowMs); });
  ws.on('error', () => {});
});

server.listen(port, '127.0.0.1', () => {
  // The first line on stdout tells the testbed the server is ready (and its port when --port 0).
  process.stdout.write(JSON.stringify({ ready: true, id, port: server.address().port }) + '\n');
});
setTimeout(() => process.exit(0), maxLifetimeS * 1000).unref();
process.on('SIGTERM', () => process.exit(0));
