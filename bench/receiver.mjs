// The benchmark's webhook receiver: its own process (started by bench/run.mjs with fork), a plain
// node:http server on 127.0.0.1 that answers 204 to everything, as cheaply as it can.
//
// It counts requests, and while recording it keeps the arrival time (epoch ms, sub-millisecond,
// taken when the request's head has been parsed: the first byte of the request as seen by an
// application) of the first request with each `webhook-id`. The parent talks to it over IPC:
//   parent → {type:'record', on:boolean}      start (clearing) or stop recording arrivals
//   parent → {type:'dump', file, id}          write recorded arrivals to `file` as "webhook-id time\n" lines
//   parent → {type:'stats', id}               answer {type:'stats', id, count, bytes}
// and it pushes {type:'count', count} every 25 ms while the count changes.
// It exits when the parent goes away (IPC disconnect), so it can never outlive the harness.
import { createServer } from 'node:http';
import { createWriteStream } from 'node:fs';

if (typeof process.send !== 'function') {
  process.stderr.write('bench/receiver.mjs is started by bench/run.mjs (needs an IPC channel)\n');
  process.exit(2);
}

const now = () => performance.timeOrigin + performance.now();
let count = 0;
let bytes = 0;
let recording = false;
let arrivals = new Map();

const server = createServer((req, res) => {
  const at = now();
  count++;
  if (recording) {
    const id = req.headers['webhook-id'];
    if (typeof id === 'string' && !arrivals.has(id)) arrivals.set(id, at);
  }
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    res.writeHead(204);
    res.end();
  });
});
// Keep connections open across the gaps between phases, as a real endpoint behind a keep-alive proxy would.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

let lastPushed = -1;
const pusher = setInterval(() => {
  if (count !== lastPushed) {
    lastPushed = count;
    process.send({ type: 'count', count });
  }
}, 25);
pusher.unref();

process.on('message', (message) => {
  if (!message || typeof message !== 'object') return;
  if (message.type === 'record') {
    if (message.on) arrivals = new Map();
    recording = Boolean(message.on);
    process.send({ type: 'recording', on: recording, id: message.id });
  } else if (message.type === 'stats') {
    process.send({ type: 'stats', id: message.id, count, bytes });
  } else if (message.type === 'dump') {
    const out = createWriteStream(message.file);
    let chunk = '';
    for (const [id, at] of arrivals) {
      chunk += `${id} ${at.toFixed(3)}\n`;
      if (chunk.length > 65_536) {
        out.write(chunk);
        chunk = '';
      }
    }
    out.end(chunk, () => process.send({ type: 'dumped', id: message.id, entries: arrivals.size }));
  }
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'listening', url: `http://127.0.0.1:${server.address().port}` });
});
