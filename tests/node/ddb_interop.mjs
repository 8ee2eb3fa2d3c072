// tests/node/ddb_interop.mjs - the AWS SDK for JavaScript v3 side of the DynamoDB
// interop tests (run by tests/integration/dynamodb.sh against a local dynalite).
//   node ddb_interop.mjs ENDPOINT TABLE create
//       creates TABLE (session_id S hash key, on-demand) and waits until ACTIVE
//   node ddb_interop.mjs ENDPOINT TABLE check ID EXPECTED_JSON_FILE [VERSION]
//       reads the item our C store wrote and checks the seed's schema: session_id S,
//       user_data S that parses to the same JSON as the file, created_at N, ttl N
//       (epoch seconds, in the future), version N (== VERSION when given)
//   node ddb_interop.mjs ENDPOINT TABLE put ID JSON_FILE
//       writes an item the way the Python application does (raw id, no version)
// Credentials are dummies (dynalite checks only that requests are signed).
// Prints "ok ..." and exits 0, or prints the reason and exits 1.
import { readFileSync } from 'node:fs';
import { DynamoDBClient, CreateTableCommand, DescribeTableCommand, GetItemCommand,
         PutItemCommand } from '@aws-sdk/client-dynamodb';

const [endpoint, table, cmd, ...args] = process.argv.slice(2);
const client = new DynamoDBClient({
  endpoint, region: 'us-east-1', maxAttempts: 3,
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
});

function fail(msg) { console.log(`FAIL ${cmd}: ${msg}`); process.exit(1); }

// Deep equality of parsed JSON values (objects as unordered maps).
function same(a, b) {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
}

async function main() {
  const now = Math.floor(Date.now() / 1000);
  if (cmd === 'create') {
    await client.send(new CreateTableCommand({
      TableName: table, BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'session_id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'session_id', KeyType: 'HASH' }],
    }));
    for (let i = 0; i < 100; i++) {
      const d = await client.send(new DescribeTableCommand({ TableName: table }));
      if (d.Table.TableStatus === 'ACTIVE') { console.log(`ok create ${table}`); return; }
      await new Promise((r) => setTimeout(r, 50));
    }
    fail('table never became ACTIVE');
  } else if (cmd === 'check') {
    const [id, file, version] = args;
    const want = JSON.parse(readFileSync(file, 'utf8'));
    const r = await client.send(new GetItemCommand({
      TableName: table, Key: { session_id: { S: id } }, ConsistentRead: true }));
    const it = r.Item;
    if (!it) fail(`no item ${id}`);
    if (it.session_id?.S !== id) fail('session_id is not S or differs');
    if (typeof it.user_data?.S !== 'string') fail('user_data is not S');
    let got;
    try { got = JSON.parse(it.user_data.S); } catch (e) { fail(`user_data is not JSON: ${e.message}`); }
    if (!same(got, want)) fail(`user_data ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
    for (const k of ['created_at', 'ttl', 'version']) {
      if (typeof it[k]?.N !== 'string' || !/^-?[0-9]+$/.test(it[k].N)) fail(`${k} is not an integer N`);
    }
    const created = Number(it.created_at.N), ttl = Number(it.ttl.N);
    if (!(created <= now + 5 && created > now - 3600)) fail(`created_at ${created} is not recent`);
    if (!(ttl > now && ttl > created)) fail(`ttl ${ttl} is not in the future`);
    if (version !== undefined && it.version.N !== version) fail(`version ${it.version.N} != ${version}`);
    const extra = Object.keys(it).filter((k) => !['session_id', 'user_data', 'created_at', 'ttl', 'version'].includes(k));
    if (extra.length) fail(`unexpected attributes ${extra.join(',')}`);
    console.log(`ok check ${id}`);
  } else if (cmd === 'put') {
    const [id, file] = args;
    const text = readFileSync(file, 'utf8');
    JSON.parse(text);
    await client.send(new PutItemCommand({
      TableName: table,
      Item: {
        session_id: { S: id }, user_data: { S: text },
        created_at: { N: String(now) }, ttl: { N: String(now + 3600) },
      },
    }));
    console.log(`ok put ${id}`);
  } else {
    fail('usage: ENDPOINT TABLE create | check ID FILE [VERSION] | put ID FILE');
  }
}

main().catch((e) => fail(`${e.name}: ${e.message}`));
