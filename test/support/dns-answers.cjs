/*
 * A resolver the test controls, loaded into the service process with
 * NODE_OPTIONS="--require <this file>" and HOOKLEDGER_TEST_DNS_ANSWERS=<json file>.
 *
 * It stands in for a DNS server with a zero TTL: at every lookup it reads the file, and a name
 * listed there gets the next of its answer sets ({"name": [["127.0.0.1"], ["127.0.0.2"]]}: the
 * first lookup gets 127.0.0.1, every later one 127.0.0.2), so a test can rebind a name between
 * two lookups, or between the check and the connection of a careless client. Names not listed go
 * to the system resolver. Each answer is appended to <json file>.log as one JSON line.
 */
'use strict';
const dns = require('node:dns');
const { appendFileSync, readFileSync } = require('node:fs');
const { syncBuiltinESMExports } = require('node:module');
const { isIP } = require('node:net');

const file = process.env.HOOKLEDGER_TEST_DNS_ANSWERS;
const systemLookup = dns.lookup;
const lookups = new Map();

dns.lookup = function lookup(hostname, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  const sets = file ? JSON.parse(readFileSync(file, 'utf8'))[hostname] : undefined;
  if (!Array.isArray(sets) || sets.length === 0) return systemLookup.call(dns, hostname, options, callback);
  const count = lookups.get(hostname) ?? 0;
  lookups.set(hostname, count + 1);
  const addresses = sets[Math.min(count, sets.length - 1)].map((address) => ({ address, family: isIP(address) }));
  appendFileSync(`${file}.log`, JSON.stringify({ hostname, lookup: count + 1, addresses: addresses.map((a) => a.address) }) + '\n');
  process.nextTick(() => {
    if (typeof options === 'object' && options.all) callback(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  });
};
// The service imports `lookup` from 'node:dns' as an ES module: make that binding see the override.
syncBuiltinESMExports();
