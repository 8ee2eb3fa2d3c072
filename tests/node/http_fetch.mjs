// tests/node/http_fetch.mjs - a tiny curl -i for the integration scripts (no curl needed).
//   node http_fetch.mjs [-X METHOD] [-H 'Name: value']... [--form 'a=b&c=d'] [--data-file FILE] URL [URL...]
//     prints, per URL, "HTTP/1.1 STATUS REASON", the response headers as received, a blank
//     line and the body; requests after the first go over the same keep-alive connection and
//     print "reused-connection: yes|no" first. --form sends application/x-www-form-urlencoded.
//   node http_fetch.mjs --raw HOST:PORT TEXT   sends TEXT (\r\n escapes allowed) on a new
//     connection, half-closes it and prints everything the server sent back.
// Every run is bounded (10 s).
import http from 'node:http';
import net from 'node:net';
import { readFileSync } from 'node:fs';

setTimeout(() => { console.log('http_fetch: timed out'); process.exit(3); }, 10000).unref();
const args = process.argv.slice(2);

if (args[0] === '--raw') {
  const [host, port] = args[1].split(':');
  const text = args[2].replace(/\\r/g, '\r').replace(/\\n/g, '\n');
  let out = '';
  const s = net.connect(Number(port), host, () => s.end(text));
  s.on('data', (d) => { out += d; });
  s.on('error', (e) => { console.log(`http_fetch: ${e.message}`); process.exit(2); });
  s.on('close', () => { process.stdout.write(out); process.exit(0); });
} else {
  let method = null, body = null;
  const headers = {}, urls = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-X') method = args[++i];
    else if (a === '-H') {
      const h = args[++i], c = h.indexOf(':');
      headers[h.slice(0, c).trim()] = h.slice(c + 1).trim();
    } else if (a === '--form') {
      body = Buffer.from(args[++i]);
      headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
    } else if (a === '--data-file') {
      body = readFileSync(args[++i]);
      headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
    } else urls.push(a);
  }
  if (!method) method = body ? 'POST' : 'GET';
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const one = (url, first) => new Promise((resolve) => {
    const h = { ...headers };
    if (body && !('Transfer-Encoding' in h)) h['Content-Length'] = body.length;
    const req = http.request(url, { method, headers: h, agent }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => {
        let out = first ? '' : `reused-connection: ${req.reusedSocket ? 'yes' : 'no'}\n`;
        out += `HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage}\n`;
        for (let k = 0; k < res.rawHeaders.length; k += 2) out += `${res.rawHeaders[k]}: ${res.rawHeaders[k + 1]}\n`;
        process.stdout.write(out + '\n' + Buffer.concat(chunks).toString() + '\n');
        resolve();
      });
    });
    req.on('error', (e) => { console.log(`http_fetch: ${e.message}`); resolve(); });
    if (body) req.write(body);
    req.end();
  });
  for (let i = 0; i < urls.length; i++) await one(urls[i], i === 0);
  agent.destroy();
}
