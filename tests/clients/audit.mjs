// The GraphQL over HTTP spec's audit suite (graphql-http's serverAudits) against a running
// server: node audit.mjs http://127.0.0.1:8000/graphql
// Prints one JSON line: {"total", "ok", "warn", "error", "notOk": [[id, name, reason], ...]}.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const audits = serverAudits({ url, fetchFn: fetch });
const notOk = [];
let ok = 0;
let warn = 0;
for (const audit of audits) {
  const result = await audit.fn();
  if (result.status === 'ok') ok += 1;
  else {
    if (result.status === 'warn') warn += 1;
    notOk.push([audit.id, audit.name, result.status, result.reason]);
  }
}
console.log(JSON.stringify({ total: audits.length, ok, warn, error: notOk.length - warn, notOk }));
