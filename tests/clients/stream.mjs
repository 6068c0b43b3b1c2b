// The graphql-ws client (graphql-transport-ws) or the graphql-sse client (distinct
// connections mode) end to end: one query, then the first `count` events of a subscription.
//   node stream.mjs ws ws://127.0.0.1:8000/graphql QUERY SUBSCRIPTION COUNT
//   node stream.mjs sse http://127.0.0.1:8000/graphql QUERY SUBSCRIPTION COUNT
// Prints one JSON line: {"query": <result>, "events": [<result>, ...]}.
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';

const [transport, url, query, subscription, count] = process.argv.slice(2);
const client =
  transport === 'ws'
    ? createWsClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true })
    : createSseClient({ url, singleConnection: false, retryAttempts: 0 });
try {
  const answer = await client.iterate({ query }).next();
  const events = [];
  for await (const event of client.iterate({ query: subscription })) {
    events.push(event);
    if (events.length >= Number(count)) break;
  }
  console.log(JSON.stringify({ query: answer.value, events }));
} finally {
  await client.dispose();
}
