// tools/bench/bench_sigv4_peer.mjs - peer timing for bench_sigv4.c: the AWS SDK for JavaScript v3
// signer (@smithy/signature-v4, from tests/node) signing the same DynamoDB GetItem as the C bench.
// Run from tests/node. Prints "ns_per_op N" (median of 9 runs).
import { createRequire } from 'node:module';
import { createHash, createHmac } from 'node:crypto';
const require = createRequire(process.cwd() + '/package.json');
const { SignatureV4 } = require('@smithy/signature-v4');

class Sha256 { // what @smithy/hash-node does
  constructor(secret) { this.h = secret ? createHmac('sha256', secret) : createHash('sha256'); }
  update(d) { this.h.update(d); }
  digest() { return Promise.resolve(new Uint8Array(this.h.digest())); }
}
let token = '';
const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let i = 0; i < 800; i++) token += abc[(i * 7 + 3) % 64];
const body = '{"TableName":"sessions","Key":{"sid":{"S":"3q2-7wEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},' +
  '"ConsistentRead":true,"ProjectionExpression":"d,e,v"}';
const signer = new SignatureV4({
  service: 'dynamodb', region: 'us-east-1', sha256: Sha256,
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: token },
});
const date = new Date(1440938160 * 1000);
const mk = () => ({
  method: 'POST', protocol: 'https:', hostname: 'dynamodb.us-east-1.amazonaws.com', path: '/', query: {},
  headers: { host: 'dynamodb.us-east-1.amazonaws.com', 'content-type': 'application/x-amz-json-1.0',
             'x-amz-target': 'DynamoDB_20120810.GetItem' },
  body,
});
const iters = 4000, runs = [];
for (let i = 0; i < 1000; i++) await signer.sign(mk(), { signingDate: date });
for (let r = 0; r < 9; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) await signer.sign(mk(), { signingDate: date });
  runs.push(Number(process.hrtime.bigint() - t0) / iters);
}
runs.sort((a, b) => a - b);
const s = await signer.sign(mk(), { signingDate: date });
console.log('signature ' + s.headers['authorization'].split('Signature=')[1]);
console.log('ns_per_op ' + runs[4].toFixed(0));
